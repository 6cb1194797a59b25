"""What `status` shows of the day-2 state: the running image and its Chroma version, and the highest
version that has opened the data (day2.version). The newest recovery point is aws.status's own section."""

from __future__ import annotations

from typing import Any

from chromactl.config import EnvConfig


def chroma_section(env: EnvConfig, region: str, service: dict[str, Any], factory: Any) -> dict[str, Any]:
    from chromactl.aws.session import describe_aws_error
    from chromactl.day2 import version as V
    from chromactl.errors import ChromactlError

    out: dict[str, Any] = {"image": None, "chroma_version": None, "highest_opened_data": None}
    primary = next((d for d in service.get("deployments") or [] if d.get("status") == "PRIMARY"), None)
    if primary and primary.get("task_definition"):
        try:
            td = factory.client("ecs", region).describe_task_definition(taskDefinition=primary["task_definition"])["taskDefinition"]
            image = str((td.get("containerDefinitions") or [{}])[0].get("image") or "") or None
            out["image"] = image
            if image:
                try:
                    out["chroma_version"] = V.parse_image(image).version
                except ChromactlError:
                    out["chroma_version"] = None  # not pinned by tag and digest: the version cannot be told
        except Exception as exc:  # noqa: BLE001 - one phrase; the other sections still show
            out["image_error"] = describe_aws_error(exc)
    try:
        out["highest_opened_data"] = V.read_record(env, factory).get("highest")
    except Exception as exc:  # noqa: BLE001
        out["record_error"] = getattr(exc, "message", None) or describe_aws_error(exc)
    return out
