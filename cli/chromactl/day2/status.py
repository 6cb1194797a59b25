"""What `status` shows of the day-2 state: the running image and its Chroma version, and the highest
version that has opened the data (failover.version_record). The newest recovery point is aws.status's own section."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chromactl.aws.session import describe_aws_error
from chromactl.config import EnvConfig
from chromactl.errors import ChromactlError
from chromactl.failover import version_record as V


@dataclass(frozen=True)
class ChromaSection:
    """The `chroma` section of `status`: the running image, its Chroma version, the highest recorded; an error
    phrase instead where one could not be read (the key is left out when there is none)."""

    image: str | None
    chroma_version: str | None
    highest_opened_data: str | None
    image_error: str | None = None
    record_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"image": self.image, "chroma_version": self.chroma_version, "highest_opened_data": self.highest_opened_data}
        if self.image_error is not None:
            out["image_error"] = self.image_error
        if self.record_error is not None:
            out["record_error"] = self.record_error
        return out


def chroma_section(env: EnvConfig, region: str, service: dict[str, Any], factory: Any) -> ChromaSection:
    image: str | None = None
    version: str | None = None
    highest: str | None = None
    image_error = record_error = None
    primary = next((d for d in service.get("deployments") or [] if d.get("status") == "PRIMARY"), None)
    if primary and primary.get("task_definition"):
        try:
            td = factory.client("ecs", region).describe_task_definition(taskDefinition=primary["task_definition"])["taskDefinition"]
            image = str((td.get("containerDefinitions") or [{}])[0].get("image") or "") or None
            if image:
                try:
                    version = V.parse_image(image).version
                except ChromactlError:
                    version = None  # not pinned by tag and digest: the version cannot be told
        except Exception as exc:  # noqa: BLE001 - one phrase; the other sections still show
            image_error = describe_aws_error(exc)
    try:
        highest = V.read_record(env, factory).get("highest")
    except Exception as exc:  # noqa: BLE001
        record_error = getattr(exc, "message", None) or describe_aws_error(exc)
    return ChromaSection(image=image, chroma_version=version, highest_opened_data=highest, image_error=image_error,
                         record_error=record_error)
