"""Day-2 operations (issue 18): on-demand backup, in-place restore, safe upgrade, the Chroma version record.

AWS Backup is called as botocore's model describes it (boto/botocore
botocore/data/backup/2018-11-15/service-2.json); each module cites the
operations and limits it relies on. docs/day2.md explains the verbs.
"""
