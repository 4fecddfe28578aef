"""FunctionImage: the container image of an image stack (``model_runtime: tensorflow``), built
from the packager's context and pushed to the stack's own ECR repository."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build

from stack._functionpackage import FunctionPackage
from stack.aws._policies import image_pull_policy
from stack.package import Package
from stack.settings import StackSettings

#: Images kept in a repository: the one deployed and a few before it, for a quick rollback;
#: older ones only cost storage.
IMAGES_KEPT = 3
# Lambda's architecture names → the platforms buildx builds for.
_PLATFORMS = {
    "x86_64": docker_build.Platform.LINUX_AMD64,
    "arm64": docker_build.Platform.LINUX_ARM64,
}


def repository_name(settings: StackSettings) -> str:
    """The ECR repository's name: the function's name as ECR spells names (lower case, one
    separator between words)."""
    return re.sub(r"[^a-z0-9]+", "-", settings.function_name.lower()).strip("-")


def _lifecycle_policy() -> str:
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"keep the last {IMAGES_KEPT} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": IMAGES_KEPT,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )


@dataclass(frozen=True, kw_only=True)
class FunctionImageArgs:
    settings: StackSettings
    #: An image package (``Package.is_image``, or a function's ``FunctionPackage.is_image``):
    #: its context, tag and requirements.
    package: Package | FunctionPackage


class FunctionImage(pulumi.ComponentResource):
    """An ECR repository (scanned on push, its last images kept, Lambda allowed to pull for
    this function only) and the image built from the package's context and pushed to it."""

    #: The pushed image, by digest alone (``<repository>@sha256:...``): what Lambda runs.
    image_uri: pulumi.Output[str]
    repository_url: pulumi.Output[str]
    #: The repository policy; the function must wait for it, or Lambda cannot pull.
    pull_policy: aws.ecr.RepositoryPolicy

    def __init__(
        self, name: str, args: FunctionImageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("lambda-model-study:stack:FunctionImage", name, None, opts)
        settings, package = args.settings, args.package
        if package.image_context is None or package.image_tag is None:
            raise ValueError(f"stack {settings.name}: FunctionImage needs an image package")
        child = pulumi.ResourceOptions(parent=self)
        repository = aws.ecr.Repository(
            f"{name}-images",
            name=repository_name(settings),
            image_tag_mutability="MUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "AES256"}],
            # The images are rebuilt from the repository; `pulumi destroy` removes them too.
            force_delete=True,
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-images-lifecycle",
            repository=repository.name,
            policy=_lifecycle_policy(),
            opts=child,
        )
        # The function's ARN is known before the function exists (its name is fixed), so the
        # policy can name it and precede it. The partition is the provider's (aws, aws-cn,
        # aws-us-gov), asked of it through the stack's provider like every call here.
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        function_arn = pulumi.Output.all(partition.partition, repository.registry_id).apply(
            lambda parts: (
                f"arn:{parts[0]}:lambda:{settings.region}:{parts[1]}"
                f":function:{settings.function_name}"
            )
        )
        self.pull_policy = aws.ecr.RepositoryPolicy(
            f"{name}-images-policy",
            repository=repository.name,
            policy=function_arn.apply(lambda arn: json.dumps(image_pull_policy(arn))),
            opts=child,
        )
        token = aws.ecr.get_authorization_token_output(
            registry_id=repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        context = package.image_context
        image = docker_build.Image(
            f"{name}-image",
            context={"location": str(context)},
            # A function stack's own Dockerfile may have another name (``image`` setting).
            dockerfile={
                "location": str(context / (getattr(package, "dockerfile", None) or "Dockerfile"))
            },
            platforms=[_PLATFORMS[settings.architecture]],
            push=True,
            # A preview shows the image to be built; building TensorFlow's (minutes) is for
            # `pulumi up` alone.
            build_on_preview=False,
            tags=[repository.repository_url.apply(lambda url: f"{url}:{package.image_tag}")],
            registries=[
                {
                    "address": repository.repository_url,
                    "username": token.user_name,
                    "password": pulumi.Output.secret(token.password),
                }
            ],
            opts=child,
        )
        # The provider's ``ref`` is ``<repository>:<tag>@sha256:...``, which Lambda refuses
        # (ImageUri takes a tag or a digest, not both; pulumi/pulumi-docker-build#571): pin the
        # function to the digest, so that it runs the very image pushed.
        self.image_uri = pulumi.Output.concat(repository.repository_url, "@", image.digest)
        self.repository_url = repository.repository_url
        self.register_outputs({"image_uri": self.image_uri, "repository_url": self.repository_url})
