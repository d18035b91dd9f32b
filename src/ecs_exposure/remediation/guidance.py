"""Remediation guidance for every trait in the trait catalog.

Each entry is keyed by the stable trait id (see ``shared/TRAITS.md``) and says, in
our own words, what an attacker gains from the weakness, what to change (naming the
ECS / EC2 / IAM API fields), and how to limit the damage when the risky setting is
really needed. Reporters use :meth:`Guidance.text` for a one-paragraph summary and
:attr:`Guidance.references` for links (e.g. an OCSF ``remediation.references`` list).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["GUIDANCE", "Guidance", "guidance_for"]


@dataclass(frozen=True)
class Guidance:
    """How to fix one trait.

    Attributes:
        why: One to three sentences on what an attacker gains from the weakness.
        change: One to three sentences on the concrete fix, naming the API fields.
        contain: One or two sentences on how to limit the damage when the risky
            setting is truly needed.
        references: ``https`` URLs to AWS documentation, CIS benchmarks or
            Security Hub controls that back the advice.
    """

    why: str
    change: str
    contain: str
    references: tuple[str, ...]

    def text(self) -> str:
        """Return the guidance as one paragraph: why, change, then containment."""
        return f"{self.why} {self.change} If it is really needed: {self.contain}"


# Reference URLs, named once so that entries stay consistent.
_SH_ECS_EXPOSURE = (
    "https://docs.aws.amazon.com/securityhub/latest/userguide/exposure-ecs-service.html"
)
_SH_ECS_CONTROLS = "https://docs.aws.amazon.com/securityhub/latest/userguide/ecs-controls.html"
_SH_ECR_CONTROLS = "https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html"
_SH_IAM_CONTROLS = "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html"
_ECS_GUIDE = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide"
_ECS_TASKDEF_PARAMS = f"{_ECS_GUIDE}/task_definition_parameters.html"
_ECS_CONTAINER_SECURITY = f"{_ECS_GUIDE}/security-tasks-containers.html"
_ECS_SECRETS = f"{_ECS_GUIDE}/specifying-sensitive-data.html"
_ECS_TASK_ROLE = f"{_ECS_GUIDE}/task-iam-roles.html"
_ECS_AWSVPC = f"{_ECS_GUIDE}/task-networking-awsvpc.html"
_ECS_EXEC = f"{_ECS_GUIDE}/ecs-exec.html"
_ECS_BIND_MOUNTS = f"{_ECS_GUIDE}/bind-mounts.html"
_ECS_EFS = f"{_ECS_GUIDE}/efs-volumes.html"
_ECS_AWSLOGS = f"{_ECS_GUIDE}/using_awslogs.html"
_ECS_FARGATE_PV = f"{_ECS_GUIDE}/platform-fargate.html"
_ECS_CAPABILITIES = (
    "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_KernelCapabilities.html"
)
_IAM_GUIDE = "https://docs.aws.amazon.com/IAM/latest/UserGuide"
_IAM_BEST_PRACTICES = f"{_IAM_GUIDE}/best-practices.html"
_IAM_POLICY_GENERATION = f"{_IAM_GUIDE}/access-analyzer-policy-generation.html"
_IAM_BOUNDARIES = f"{_IAM_GUIDE}/access_policies_boundaries.html"
_IAM_PASSROLE = f"{_IAM_GUIDE}/id_roles_use_passrole.html"
_VPC_SECURITY_GROUPS = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html"
_ECR_GUIDE = "https://docs.aws.amazon.com/AmazonECR/latest/userguide"
_ECR_SCANNING = f"{_ECR_GUIDE}/image-scanning.html"
_ECR_TAG_MUTABILITY = f"{_ECR_GUIDE}/image-tag-mutability.html"
_ECR_SIGNING = f"{_ECR_GUIDE}/image-signing.html"
_ECR_PULL_THROUGH = f"{_ECR_GUIDE}/pull-through-cache.html"
_INSPECTOR_ECR = "https://docs.aws.amazon.com/inspector/latest/user/scanning-ecr.html"
_WA_HARDENED_IMAGES = (
    "https://docs.aws.amazon.com/wellarchitected/latest/framework/"
    "sec_protect_compute_hardened_images.html"
)
_WA_SOFTWARE_INTEGRITY = (
    "https://docs.aws.amazon.com/wellarchitected/latest/framework/"
    "sec_protect_compute_validate_software_integrity.html"
)
_CIS_DOCKER = "https://www.cisecurity.org/benchmark/docker"
_CISA_KEV = "https://www.cisa.gov/known-exploited-vulnerabilities-catalog"
_CONTAINER_INSIGHTS = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ContainerInsights.html"
)


def _control(base: str, control_id: str) -> str:
    """Return the anchored URL of a Security Hub CSPM control, e.g. ``ECS.4``."""
    return f"{base}#{control_id.lower().replace('.', '-')}"


_ENTRIES: dict[str, Guidance] = {
    # --- Misconfiguration: task definition and service -------------------------
    "privileged-container": Guidance(
        why=(
            "A privileged container gets every Linux capability and the host's "
            "devices, and runs without the usual seccomp and AppArmor limits, so "
            "root inside it is effectively root on the container instance: it can "
            "mount the host disk, load kernel modules and take over every other task "
            "on that host."
        ),
        change=(
            "Register a new task definition revision without `privileged` (or with "
            "`privileged: false`) in `containerDefinitions[]`, then run `update-service "
            "--task-definition family:new-revision`. If the workload needs one specific "
            "power, grant only that through `linuxParameters.capabilities.add` or "
            "`linuxParameters.devices` instead."
        ),
        contain=(
            "Pin the task to dedicated container instances with `placementConstraints`, "
            "set `ECS_DISABLE_PRIVILEGED=true` in the agent configuration of every other "
            "instance, and give the task a read-only root file system, a minimal task "
            "role and no public exposure."
        ),
        references=(
            _control(_SH_ECS_CONTROLS, "ECS.4"),
            _SH_ECS_EXPOSURE,
            _ECS_CONTAINER_SECURITY,
            _ECS_TASKDEF_PARAMS,
        ),
    ),
    "host-filesystem-mount": Guidance(
        why=(
            "A host path mounted into a container exposes the instance's own files: "
            "paths such as `/`, `/etc` or `/var/lib/ecs` leak host secrets and agent "
            "credentials, and a mounted `/var/run/docker.sock` or containerd socket lets "
            "the container start a privileged container and own the host. A writable "
            "mount also lets it plant files the host will later run."
        ),
        change=(
            "Register a new revision that drops `volumes[].host.sourcePath` and the "
            "matching `containerDefinitions[].mountPoints[]`, using task-scoped storage "
            "(a volume without `host`), `dockerVolumeConfiguration` or "
            "`efsVolumeConfiguration` for data the task must keep, then roll it out with "
            "`update-service --task-definition family:new-revision`."
        ),
        contain=(
            "Mount the narrowest directory the workload needs, never `/` or a container "
            "runtime socket, and set `mountPoints[].readOnly: true` so the container can "
            "read but not change the host."
        ),
        references=(
            _SH_ECS_EXPOSURE,
            _ECS_BIND_MOUNTS,
            _ECS_TASKDEF_PARAMS,
            _CIS_DOCKER,
        ),
    ),
    "host-pid-namespace": Guidance(
        why=(
            "With `pidMode: host` the container sees every process on the instance, "
            "including other tasks' processes: it can read their command lines and, "
            "with enough privilege, their environments and memory, and it can signal "
            "or kill them."
        ),
        change=(
            "Register a new revision without `pidMode` (or with `pidMode: task` when "
            "only the containers of one task need to see each other), then "
            "`update-service --task-definition family:new-revision`."
        ),
        contain=(
            "Give host PID access only to a small monitoring sidecar that runs as a "
            "non-root `user`, without `SYS_PTRACE`, on dedicated container instances "
            "selected with `placementConstraints`."
        ),
        references=(
            _control(_SH_ECS_CONTROLS, "ECS.3"),
            _SH_ECS_EXPOSURE,
            _ECS_TASKDEF_PARAMS,
        ),
    ),
    "host-ipc-namespace": Guidance(
        why=(
            "With `ipcMode: host` the container shares System V shared memory, "
            "semaphores and message queues with the instance and every other task "
            "using host IPC, so it can read or corrupt data that other processes keep "
            "in shared memory."
        ),
        change=(
            "Register a new revision without `ipcMode`, or with `ipcMode: task` when "
            "the containers of one task must share memory, or `ipcMode: none`, then "
            "`update-service --task-definition family:new-revision`."
        ),
        contain=(
            "Limit host IPC to the one container that needs it, run it as a non-root "
            "`user` on dedicated container instances, and keep other sensitive "
            "workloads off those instances."
        ),
        references=(_ECS_TASKDEF_PARAMS, _CIS_DOCKER),
    ),
    "host-network-mode": Guidance(
        why=(
            "With `networkMode: host` the container uses the instance's network stack: "
            "it can bind any host port, reach services listening only on the host's "
            "localhost (such as the ECS agent), reach the instance metadata service "
            "and the instance role, and, as root, watch or tamper with host traffic. "
            "No per-task security group applies."
        ),
        change=(
            "Register a new revision with `networkMode: awsvpc`, which gives each task "
            "its own elastic network interface and security group, add "
            "`networkConfiguration.awsvpcConfiguration` (subnets, securityGroups) to the "
            "service, and deploy with `update-service --task-definition "
            "family:new-revision`; `bridge` with explicit `portMappings` is the "
            "fallback on EC2."
        ),
        contain=(
            "Run the container as a non-root `user` with `readonlyRootFilesystem: true`, "
            "drop `NET_RAW` and `NET_ADMIN` via `linuxParameters.capabilities.drop`, and "
            "require IMDSv2 with a hop limit of 1 on its instances."
        ),
        references=(
            _control(_SH_ECS_CONTROLS, "ECS.17"),
            _SH_ECS_EXPOSURE,
            _ECS_AWSVPC,
        ),
    ),
    "plaintext-credentials": Guidance(
        why=(
            "Values in `environment[]`, `command`, `entryPoint` or "
            "`logConfiguration.options` are stored in clear text in the task "
            "definition, so anyone allowed `ecs:DescribeTaskDefinition` (and every "
            "tool that copies task definitions) has already read the credential and "
            "can use it outside your account's control."
        ),
        change=(
            "Move each value to `secrets[].valueFrom` pointing at a Secrets Manager "
            "secret or an SSM Parameter Store SecureString (log-router options go to "
            "`logConfiguration.secretOptions`), grant the execution role read access "
            "to it, register a new revision and `update-service`; then rotate the "
            "exposed credential, because the old value must be treated as leaked. "
            "Replace AWS access keys with the task role (`taskRoleArn`) instead of "
            "storing them at all."
        ),
        contain=(
            "Keep a literal that must stay for a while short-lived and narrowly "
            "scoped, and restrict `ecs:DescribeTaskDefinition` to the people and tools "
            "that deploy the service."
        ),
        references=(
            _control(_SH_ECS_CONTROLS, "ECS.8"),
            _SH_ECS_EXPOSURE,
            _ECS_SECRETS,
            _ECS_TASK_ROLE,
        ),
    ),
    "public-ip": Guidance(
        why=(
            "A task with a public IP address can be found by internet-wide scans and "
            "reached directly, bypassing any load balancer, AWS WAF rules or "
            "authentication placed in front of the service."
        ),
        change=(
            "Set `networkConfiguration.awsvpcConfiguration.assignPublicIp` to "
            "`DISABLED` with `update-service` (and on each task set), and move the "
            "service to private subnets that use a NAT gateway or VPC endpoints (ECR, "
            "CloudWatch Logs, Secrets Manager) for outbound traffic."
        ),
        contain=(
            "Allow only the listening port from known source ranges in the task's "
            "security group, and keep the task role minimal so a compromised public "
            "task reaches little else."
        ),
        references=(
            _control(_SH_ECS_CONTROLS, "ECS.2"),
            _control(_SH_ECS_CONTROLS, "ECS.16"),
            _SH_ECS_EXPOSURE,
            _ECS_AWSVPC,
        ),
    ),
    "open-security-group": Guidance(
        why=(
            "An ingress rule from `0.0.0.0/0` or `::/0` lets anyone on the internet "
            "connect to the listed ports, so every exposed service and admin port can "
            "be probed and attacked; a rule with `IpProtocol: -1` opens every port."
        ),
        change=(
            "Use `revoke-security-group-ingress` to remove the open rule and "
            "`authorize-security-group-ingress` to allow only known `CidrIp` / "
            "`CidrIpv6` ranges, or, for tasks behind a load balancer, a "
            "`UserIdGroupPairs` entry that references the load balancer's security "
            "group on the container port."
        ),
        contain=(
            "Open only the public listener port (typically 443) on an internet-facing "
            "load balancer protected by AWS WAF, and never expose administration or "
            "database ports to the world."
        ),
        references=(_SH_ECS_EXPOSURE, _VPC_SECURITY_GROUPS, _ECS_AWSVPC),
    ),
    "execute-command-enabled": Guidance(
        why=(
            "With `enableExecuteCommand: true`, anyone allowed `ecs:ExecuteCommand` "
            "can open an interactive shell inside the running tasks, read their "
            "secrets and environment, and act with the task role's permissions."
        ),
        change=(
            "Run `update-service --disable-execute-command --force-new-deployment`, "
            "because tasks already running keep ECS Exec until they are replaced."
        ),
        contain=(
            "Enable it only for the duration of an investigation, restrict "
            "`ecs:ExecuteCommand` with IAM conditions on the cluster, container name "
            "or resource tags, and record sessions through the cluster's "
            "`executeCommandConfiguration` logging to CloudWatch Logs or S3."
        ),
        references=(_ECS_EXEC, _IAM_BEST_PRACTICES),
    ),
    "assumable-role": Guidance(
        why=(
            "Every process in a task with a `taskRoleArn` can fetch that role's "
            "temporary credentials from the container credentials endpoint, so code "
            "execution in the container becomes the role's permissions in AWS."
        ),
        change=(
            "Remove `taskRoleArn` from the task definition if the application makes "
            "no AWS API calls; otherwise keep the role's policies to the specific "
            "actions and resource ARNs it uses and deploy the new revision with "
            "`update-service`."
        ),
        contain=(
            "Add `aws:SourceAccount` / `aws:SourceArn` conditions to the role's trust "
            "policy, limit use of its credentials to your network with "
            "`aws:SourceVpc` or `aws:SourceVpce` conditions, and on EC2 instances "
            "block task access to the instance role (`ECS_AWSVPC_BLOCK_IMDS=true`, "
            "IMDSv2 hop limit 1)."
        ),
        references=(_SH_ECS_EXPOSURE, _ECS_TASK_ROLE, _IAM_BEST_PRACTICES),
    ),
    "administrative-policy": Guidance(
        why=(
            "A task or execution role with `AdministratorAccess`, `IAMFullAccess` or an "
            "`Allow` of `Action: *` on `Resource: *` turns any code execution in the "
            "container into full control of the AWS account: the attacker can read "
            "all data, create users and keys, and delete resources."
        ),
        change=(
            "Detach the policy (`detach-role-policy` / `delete-role-policy`) and "
            "attach a least-privilege policy that lists only the actions and resource "
            "ARNs the service uses; IAM Access Analyzer can generate one from the "
            "role's CloudTrail activity."
        ),
        contain=(
            "Attach a permissions boundary to the role and enforce organization SCPs "
            "that deny IAM and logging changes, and never combine such a role with a "
            "publicly reachable service."
        ),
        references=(
            _SH_ECS_EXPOSURE,
            _control(_SH_IAM_CONTROLS, "IAM.1"),
            _IAM_POLICY_GENERATION,
            _IAM_BOUNDARIES,
        ),
    ),
    "service-admin-policy": Guidance(
        why=(
            "A role that allows `<service>:*` on `*` gives a compromised task every "
            "action of that service on every resource: with `s3:*` it can read, delete "
            "or publish any bucket; with `kms:*` it can rewrite key policies or "
            "schedule key deletion; with `ecr:*` it can push backdoored images."
        ),
        change=(
            "Replace the wildcard statement with the specific actions the service "
            "calls (for example `s3:GetObject`, `s3:PutObject`) on the specific "
            "resource ARNs it touches; IAM Access Analyzer policy generation from "
            "CloudTrail shows what the role actually uses."
        ),
        contain=(
            "Scope `Resource` to named ARNs and add explicit `Deny` statements or a "
            "permissions boundary for destructive actions such as "
            "`s3:PutBucketPolicy`, `s3:DeleteBucket` or `kms:ScheduleKeyDeletion`."
        ),
        references=(_SH_ECS_EXPOSURE, _IAM_POLICY_GENERATION, _IAM_BEST_PRACTICES),
    ),
    # --- Reachability ------------------------------------------------------------
    "internet-reachable": Guidance(
        why=(
            "A network path from the internet to the tasks means anyone can send "
            "traffic to them, so every other weakness of the service (a vulnerable "
            "package, a debug endpoint, a weak password) is exploitable from anywhere."
        ),
        change=(
            "Run the service in private subnets with "
            "`awsvpcConfiguration.assignPublicIp: DISABLED`, put an internet-facing "
            "load balancer in public subnets in front of it, and allow the tasks' "
            "security group to accept traffic only from the load balancer's security "
            "group."
        ),
        contain=(
            "Protect the load balancer with AWS WAF, TLS and authentication, expose "
            "only the application port, and keep the task role minimal so a "
            "compromise stays inside the task."
        ),
        references=(_SH_ECS_EXPOSURE, _control(_SH_ECS_CONTROLS, "ECS.2"), _ECS_AWSVPC),
    ),
    # --- Vulnerability -------------------------------------------------------------
    "exploitable-vulnerability": Guidance(
        why=(
            "The image contains a vulnerability that can be triggered over the network "
            "and is likely to be exploited (public exploit code, CISA KEV listing or a "
            "high EPSS score), so automated attacks can run code in the container "
            "without any other foothold."
        ),
        change=(
            "Update the affected package to the fixed version the scanner reports, "
            "rebuild and push the image, register a new task definition revision "
            "whose `image` points at the new digest, and `update-service` to replace "
            "the running tasks."
        ),
        contain=(
            "While no fix exists, disable or remove the vulnerable component, block "
            "the attack path with AWS WAF or security-group rules, take the service "
            "off the internet, and keep its task role minimal."
        ),
        references=(_SH_ECS_EXPOSURE, _INSPECTOR_ECR, _ECR_SCANNING, _CISA_KEV),
    ),
    "software-vulnerability": Guidance(
        why=(
            "Known vulnerabilities that are not yet likely to be exploited still give "
            "an attacker building blocks: they can be chained with another weakness "
            "or become exploitable when public exploit code appears."
        ),
        change=(
            "Rebuild the image on a current base image with updated dependencies, "
            "push it, register a new task definition revision that references the new "
            "digest, and `update-service`; automate the rebuild so fixes arrive "
            "without manual work."
        ),
        contain=(
            "Record a time-bound exception while no fix exists, make sure the "
            "vulnerable code path is not reachable from the network, and keep "
            "continuous scanning on so a new exploit raises the priority."
        ),
        references=(_SH_ECS_EXPOSURE, _INSPECTOR_ECR, _ECR_SCANNING),
    ),
    "end-of-life-os": Guidance(
        why=(
            "An operating system past end of life gets no more security fixes and "
            "advisories, so new vulnerabilities stay open forever and scanners may "
            "stop reporting them, which makes a clean scan misleading."
        ),
        change=(
            "Change the Dockerfile `FROM` to a supported release (or a minimal or "
            "distroless base image), rebuild and test, then register a new task "
            "definition revision with the new image digest and `update-service`."
        ),
        contain=(
            "Keep the service off the internet, give it a read-only root file system "
            "and a minimal task role, buy vendor extended support if available, and "
            "set a migration date."
        ),
        references=(_SH_ECS_EXPOSURE, _WA_HARDENED_IMAGES, _INSPECTOR_ECR),
    ),
    "malicious-package": Guidance(
        why=(
            "A malicious package runs the attacker's code by design, with no "
            "vulnerability needed: it can steal the task role's credentials and the "
            "task's secrets, open a backdoor or tamper with data."
        ),
        change=(
            "Treat it as an incident: stop the affected tasks, remove the package from "
            "the dependency manifests and lock files, rebuild from a clean base image "
            "and redeploy, then rotate every secret the task could read and revoke the "
            "task role's active sessions."
        ),
        contain=(
            "It never is; while the clean image is being built, scale the service to "
            "zero or isolate it with a security group that denies all egress, and "
            "review CloudTrail for what the task role did."
        ),
        references=(_SH_ECS_EXPOSURE, _INSPECTOR_ECR, _WA_HARDENED_IMAGES),
    ),
    # --- Hardened images -----------------------------------------------------------
    "untrusted-registry": Guidance(
        why=(
            "An image pulled from a registry you do not control can be changed, "
            "replaced or removed by someone else at any time, and may be a look-alike "
            "of the image you meant to use; nothing guarantees it was scanned."
        ),
        change=(
            "Copy the image into a private Amazon ECR repository (for example with a "
            "pull-through cache rule), scan it there, and set "
            "`containerDefinitions[].image` to the ECR URI pinned by digest in a new "
            "task definition revision, then `update-service`."
        ),
        contain=(
            "Reference the external image by `@sha256:` digest, verify its signature "
            "before deployment, and add the registry to the policy's trusted list only "
            "after review."
        ),
        references=(_WA_HARDENED_IMAGES, _ECR_PULL_THROUGH, _ECS_CONTAINER_SECURITY),
    ),
    "mutable-image-reference": Guidance(
        why=(
            "A tag in a repository that allows overwrites can be moved to a different "
            "image, so whoever can push to the repository decides what the next "
            "deployment or scale-out runs, and `latest` hides which build is live."
        ),
        change=(
            "Reference the image by digest (`repository@sha256:...`) in "
            "`containerDefinitions[].image`, and set the ECR repository to "
            "`imageTagMutability: IMMUTABLE` with `put-image-tag-mutability`."
        ),
        contain=(
            "Restrict `ecr:PutImage` on the repository to the build pipeline's role so "
            "only it can move the tag, and never deploy `latest` or an untagged image."
        ),
        references=(
            _control(_SH_ECR_CONTROLS, "ECR.2"),
            _ECR_TAG_MUTABILITY,
            _ECS_CONTAINER_SECURITY,
        ),
    ),
    "unverified-signature": Guidance(
        why=(
            "Without a verified signature nothing proves the running image came from "
            "your build pipeline, so an image altered in the registry or pushed with "
            "stolen credentials would run unnoticed."
        ),
        change=(
            "Sign images when they are built (Amazon ECR managed signing with AWS "
            "Signer, or Notation or cosign) and verify the signature for the image "
            "digest in the deployment pipeline or an ECS deployment lifecycle hook "
            "before `update-service` rolls out the new revision."
        ),
        contain=(
            "Deploy by digest only while signing is not yet in place, keep tags "
            "immutable, and allow only the build role to push to the repository."
        ),
        references=(_ECR_SIGNING, _WA_SOFTWARE_INTEGRITY),
    ),
    "unscanned-image": Guidance(
        why=(
            "An image with no recent scan may carry known vulnerabilities or malicious "
            "packages that nobody has looked for, so the service's real exposure is "
            "unknown."
        ),
        change=(
            "Turn on Amazon Inspector enhanced scanning with continuous scanning for "
            "the registry (`put-registry-scanning-configuration`), or at least "
            "`imageScanningConfiguration.scanOnPush: true` on the repository, and scan "
            "in the build pipeline before the image is pushed."
        ),
        contain=(
            "Run your own scanner on the exact digest in the pipeline for images ECR "
            "cannot scan, keep the result with the build, and rescan on a schedule."
        ),
        references=(
            _control(_SH_ECR_CONTROLS, "ECR.1"),
            _ECR_SCANNING,
            _INSPECTOR_ECR,
        ),
    ),
    "stale-image": Guidance(
        why=(
            "An image built long ago lacks every fix published since, both in its base "
            "image and in its dependencies, and usually collects known "
            "vulnerabilities quietly."
        ),
        change=(
            "Rebuild the image on a schedule from a current base image, push it, "
            "register a new task definition revision with the new digest, and "
            "`update-service`."
        ),
        contain=(
            "Keep continuous scanning on a validated build that must stay frozen, and "
            "record an exception with a review date."
        ),
        references=(_WA_HARDENED_IMAGES, _ECS_CONTAINER_SECURITY),
    ),
    "unnecessary-packages": Guidance(
        why=(
            "Shells, package managers, compilers, `curl`/`wget`/`nc`, `sudo` and SSH "
            "servers give an attacker who gets code execution ready tools to download "
            "payloads and move on, and setuid/setgid binaries offer a way to root "
            "inside the container."
        ),
        change=(
            "Use a multi-stage build that copies only the runtime artifacts into a "
            "minimal, distroless or `scratch` base image, drop the package manager, "
            "and strip setuid/setgid bits (`chmod a-s`) in the Dockerfile."
        ),
        contain=(
            "Run the container that keeps the tool as a non-root `user` with "
            "`readonlyRootFilesystem: true` and dropped capabilities, and use ECS Exec "
            "temporarily for debugging instead of shipping an SSH server."
        ),
        references=(_WA_HARDENED_IMAGES, _ECS_CONTAINER_SECURITY, _CIS_DOCKER),
    ),
    "root-user": Guidance(
        why=(
            "A container running as root can change anything in its own file system, "
            "and any escape (a kernel bug, a host mount, an added capability) then "
            "lands as root on the host."
        ),
        change=(
            "Set `containerDefinitions[].user` to a non-root `UID:GID` such as "
            "`1000:1000` in a new task definition revision and add a matching `USER` "
            "instruction to the Dockerfile, making the files the application writes "
            "owned by that user and listening on a port above 1024."
        ),
        contain=(
            'Drop all capabilities with `linuxParameters.capabilities.drop: ["ALL"]` '
            "and add back only what is needed, set `readonlyRootFilesystem: true`, "
            "and give the container no host access."
        ),
        references=(
            _control(_SH_ECS_CONTROLS, "ECS.20"),
            _ECS_CONTAINER_SECURITY,
            _CIS_DOCKER,
        ),
    ),
    "writable-root-filesystem": Guidance(
        why=(
            "A writable root file system lets an attacker drop tools, alter the "
            "application's code or configuration, and keep a foothold for as long as "
            "the task runs."
        ),
        change=(
            "Set `readonlyRootFilesystem: true` in each container definition of a new "
            "revision and give the paths the application writes (such as `/tmp`) their "
            "own task volume through `volumes[]` and `mountPoints[]`, then "
            "`update-service`."
        ),
        contain=(
            "Run an application that cannot work read-only as a non-root `user` so it "
            "cannot rewrite system paths, and replace its tasks regularly so any "
            "change is short-lived."
        ),
        references=(
            _control(_SH_ECS_CONTROLS, "ECS.5"),
            _ECS_CONTAINER_SECURITY,
            _CIS_DOCKER,
        ),
    ),
    # --- Impact --------------------------------------------------------------------
    "privilege-escalation-path": Guidance(
        why=(
            "The task role can grant itself more power, for example by attaching "
            "policies to itself, rewriting a trust policy, creating keys for other "
            "users or passing a stronger role to new compute, so a compromised "
            "container can climb to control of the account; the same trait marks "
            "roles that can read every secret or object, switch off audit trails or "
            "open a shell in other tasks."
        ),
        change=(
            "Remove the statement that enables the path (`iam:Put*Policy`, "
            "`iam:Attach*Policy`, `iam:CreatePolicyVersion`, "
            "`iam:UpdateAssumeRolePolicy`, `iam:CreateAccessKey`, `sts:AssumeRole` on "
            "`*`), limit `iam:PassRole` to named role ARNs with an "
            "`iam:PassedToService` condition, and scope data and audit actions "
            "(`secretsmanager:GetSecretValue`, `s3:GetObject`, `cloudtrail:*`, "
            "`ecs:ExecuteCommand`) to the resources the service owns."
        ),
        contain=(
            "Attach a permissions boundary to the task role, require the same "
            "boundary on any role it creates with the `iam:PermissionsBoundary` "
            "condition, and deny IAM changes outside the deployment pipeline with an "
            "SCP."
        ),
        references=(
            _SH_ECS_EXPOSURE,
            _IAM_PASSROLE,
            _IAM_BOUNDARIES,
            _IAM_BEST_PRACTICES,
        ),
    ),
    "dangerous-capabilities": Guidance(
        why=(
            "These capabilities break container isolation: `SYS_ADMIN` is close to "
            "privileged mode, `SYS_MODULE` loads kernel modules, `SYS_PTRACE` inspects "
            "other processes, `DAC_READ_SEARCH` bypasses file permissions on the host, "
            "and `NET_ADMIN` can reconfigure or intercept networking."
        ),
        change=(
            "Register a new revision that removes them from "
            "`linuxParameters.capabilities.add`, preferably with "
            '`linuxParameters.capabilities.drop: ["ALL"]` and only narrow ones such '
            "as `NET_BIND_SERVICE` added back, then `update-service`."
        ),
        contain=(
            "Grant the capability to one small sidecar rather than the application "
            "container, run it as a non-root `user` without host mounts, and place it "
            "on dedicated container instances."
        ),
        references=(_ECS_CAPABILITIES, _ECS_CONTAINER_SECURITY, _CIS_DOCKER),
    ),
    # --- Hygiene -------------------------------------------------------------------
    "missing-log-configuration": Guidance(
        why=(
            "Without a log configuration the container's output is lost when the "
            "task stops, so an attack leaves no application trail to detect or "
            "investigate."
        ),
        change=(
            "Add `logConfiguration` to every container definition, for example "
            "`logDriver: awslogs` with `awslogs-group`, `awslogs-region` and "
            "`awslogs-stream-prefix` options (or `awsfirelens`), in a new revision, "
            "then `update-service`."
        ),
        contain=(
            "Document why the container ships no logs, and make sure CloudTrail and "
            "VPC Flow Logs still record what the task does."
        ),
        references=(_control(_SH_ECS_CONTROLS, "ECS.9"), _ECS_AWSLOGS),
    ),
    "efs-transit-encryption-disabled": Guidance(
        why=(
            "Without transit encryption, file data travels between the task and Amazon "
            "EFS as plain NFS traffic that anyone on the network path can read or "
            "alter."
        ),
        change=(
            "Set `volumes[].efsVolumeConfiguration.transitEncryption: ENABLED` (and "
            "preferably `authorizationConfig.iam: ENABLED` with an access point) in a "
            "new revision, then `update-service`; a file system policy that denies "
            "requests where `aws:SecureTransport` is false enforces it."
        ),
        contain=(
            "Allow NFS (port 2049) on the mount targets only from the task's security "
            "group and mount the volume read-only where possible."
        ),
        references=(_control(_SH_ECS_CONTROLS, "ECS.18"), _ECS_EFS),
    ),
    "outdated-platform-version": Guidance(
        why=(
            "An older Fargate platform version misses the runtime and kernel fixes "
            "and security features of newer ones, and is eventually retired."
        ),
        change=(
            "Run `update-service --platform-version LATEST --force-new-deployment` "
            "(or name the newest version explicitly) so the tasks are replaced on the "
            "current platform."
        ),
        contain=(
            "Pin the older version explicitly, track AWS retirement notices for it, "
            "and schedule the upgrade before the retirement date."
        ),
        references=(_control(_SH_ECS_CONTROLS, "ECS.10"), _ECS_FARGATE_PV),
    ),
    "container-insights-disabled": Guidance(
        why=(
            "Without Container Insights there are no per-task metrics, so abuse such "
            "as crypto-mining, crash loops or unusual network use is harder to notice."
        ),
        change=(
            "Enable it with `update-cluster-settings --settings "
            "name=containerInsights,value=enabled` (or `enhanced`) on the cluster, and "
            "with `put-account-setting --name containerInsights` as the default for "
            "new clusters."
        ),
        contain=(
            "Enable it at least on clusters that run exposed services, and keep "
            "CloudWatch alarms on service CPU and memory on the others."
        ),
        references=(_control(_SH_ECS_CONTROLS, "ECS.12"), _CONTAINER_INSIGHTS),
    ),
}

GUIDANCE: Mapping[str, Guidance] = MappingProxyType(_ENTRIES)
"""Remediation guidance keyed by trait id (read-only)."""


def guidance_for(trait_id: str) -> Guidance:
    """Return the guidance for ``trait_id``.

    Raises:
        KeyError: if ``trait_id`` is not a known trait id.
    """
    try:
        return GUIDANCE[trait_id]
    except KeyError:
        known = ", ".join(sorted(GUIDANCE))
        raise KeyError(
            f"no remediation guidance for unknown trait id {trait_id!r}; known trait ids: {known}"
        ) from None
