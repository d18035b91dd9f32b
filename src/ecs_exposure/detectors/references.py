"""Documentation links and compliance controls that trait specs cite, each named once.

The family modules build their :class:`~ecs_exposure.detectors.spec.Guidance` references and
their ``controls`` from these names, so one URL or control title is written in one place.
Control ids and titles follow the Security Hub CSPM control pages (ecs-controls, ecr-controls,
iam-controls) and the Well-Architected page of SEC06-BP02 "Provision compute from hardened
images"; see ``shared/reference/securityhub-ecs.md`` for the research notes.
"""

from __future__ import annotations

from ecs_exposure.detectors.spec import Control

SH_ECS_EXPOSURE = (
    "https://docs.aws.amazon.com/securityhub/latest/userguide/exposure-ecs-service.html"
)
SH_ECS_CONTROLS = "https://docs.aws.amazon.com/securityhub/latest/userguide/ecs-controls.html"
SH_ECR_CONTROLS = "https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html"
SH_IAM_CONTROLS = "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html"
ECS_GUIDE = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide"
ECS_TASKDEF_PARAMS = f"{ECS_GUIDE}/task_definition_parameters.html"
ECS_CONTAINER_SECURITY = f"{ECS_GUIDE}/security-tasks-containers.html"
ECS_SECRETS = f"{ECS_GUIDE}/specifying-sensitive-data.html"
ECS_TASK_ROLE = f"{ECS_GUIDE}/task-iam-roles.html"
ECS_AWSVPC = f"{ECS_GUIDE}/task-networking-awsvpc.html"
ECS_EXEC = f"{ECS_GUIDE}/ecs-exec.html"
ECS_BIND_MOUNTS = f"{ECS_GUIDE}/bind-mounts.html"
ECS_EFS = f"{ECS_GUIDE}/efs-volumes.html"
ECS_AWSLOGS = f"{ECS_GUIDE}/using_awslogs.html"
ECS_FARGATE_PV = f"{ECS_GUIDE}/platform-fargate.html"
ECS_CAPABILITIES = (
    "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_KernelCapabilities.html"
)
IAM_GUIDE = "https://docs.aws.amazon.com/IAM/latest/UserGuide"
IAM_BEST_PRACTICES = f"{IAM_GUIDE}/best-practices.html"
IAM_POLICY_GENERATION = f"{IAM_GUIDE}/access-analyzer-policy-generation.html"
IAM_BOUNDARIES = f"{IAM_GUIDE}/access_policies_boundaries.html"
IAM_PASSROLE = f"{IAM_GUIDE}/id_roles_use_passrole.html"
VPC_SECURITY_GROUPS = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html"
ECR_GUIDE = "https://docs.aws.amazon.com/AmazonECR/latest/userguide"
ECR_SCANNING = f"{ECR_GUIDE}/image-scanning.html"
ECR_TAG_MUTABILITY = f"{ECR_GUIDE}/image-tag-mutability.html"
ECR_SIGNING = f"{ECR_GUIDE}/image-signing.html"
ECR_PULL_THROUGH = f"{ECR_GUIDE}/pull-through-cache.html"
INSPECTOR_ECR = "https://docs.aws.amazon.com/inspector/latest/user/scanning-ecr.html"
WA_HARDENED_IMAGES = (
    "https://docs.aws.amazon.com/wellarchitected/latest/framework/"
    "sec_protect_compute_hardened_images.html"
)
WA_SOFTWARE_INTEGRITY = (
    "https://docs.aws.amazon.com/wellarchitected/latest/framework/"
    "sec_protect_compute_validate_software_integrity.html"
)
CIS_DOCKER = "https://www.cisecurity.org/benchmark/docker"
CISA_KEV = "https://www.cisa.gov/known-exploited-vulnerabilities-catalog"
ECS_HEALTH_CHECK = f"{ECS_GUIDE}/healthcheck.html"
ECS_EXECUTION_ROLE = f"{ECS_GUIDE}/task_execution_IAM_role.html"
SH_EFS_CONTROLS = "https://docs.aws.amazon.com/securityhub/latest/userguide/efs-controls.html"
EFS_ENCRYPTION_AT_REST = "https://docs.aws.amazon.com/efs/latest/ug/encryption-at-rest.html"
ECS_EXEC_CONFIGURATION = (
    "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/"
    "API_ExecuteCommandConfiguration.html"
)
CONTAINER_INSIGHTS = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ContainerInsights.html"
)


def _cspm(base: str, control_id: str, title: str, where: str = "") -> Control:
    """A Security Hub CSPM control, linked to its anchor on the service's control page."""
    return Control("Security Hub CSPM", control_id, title,
                   f"{base}#{control_id.lower().replace('.', '-')}", where=where)


# --- Security Hub CSPM controls ---------------------------------------------------------------
ECS_1 = Control("Security Hub CSPM", "ECS.1", "Amazon ECS task definitions should have secure "
                "networking modes and user definitions", f"{SH_ECS_CONTROLS}#ecs-1",
                note="retired from the CSPM control page; evaluated here on host network mode "
                "alone, stricter than CSPM, which passes privileged or non-root containers")
"""Absent from the newest stored ecs-controls page (likely retired); kept because the host
network trait still answers it."""
ECS_2 = _cspm(SH_ECS_CONTROLS, "ECS.2", "ECS services should not have public IP addresses "
              "assigned to them automatically", where="/networkConfiguration/")
ECS_3 = _cspm(SH_ECS_CONTROLS, "ECS.3", "ECS task definitions should not share the host's "
              "process namespace")
ECS_4 = _cspm(SH_ECS_CONTROLS, "ECS.4", "ECS containers should run as non-privileged")
ECS_5 = _cspm(SH_ECS_CONTROLS, "ECS.5", "ECS task definitions should configure containers to be "
              "limited to read-only access to root filesystems")
ECS_8 = Control("Security Hub CSPM", "ECS.8", "Secrets should not be passed as container "
                "environment variables", f"{SH_ECS_CONTROLS}#ecs-8",
                note="judged on the variables' values and names, a superset of CSPM's check of "
                "three variable names")
ECS_9 = _cspm(SH_ECS_CONTROLS, "ECS.9", "ECS task definitions should have a logging "
              "configuration")
ECS_10 = _cspm(SH_ECS_CONTROLS, "ECS.10", "ECS Fargate services should run on the latest "
               "Fargate platform version")
ECS_12 = _cspm(SH_ECS_CONTROLS, "ECS.12", "ECS clusters should use Container Insights")
ECS_16 = _cspm(SH_ECS_CONTROLS, "ECS.16", "ECS task sets should not automatically assign public "
               "IP addresses", where="/taskSets/")
ECS_17 = _cspm(SH_ECS_CONTROLS, "ECS.17", "ECS task definitions should not use host network "
               "mode")
ECS_18 = _cspm(SH_ECS_CONTROLS, "ECS.18", "ECS Task Definitions should use in-transit "
               "encryption for EFS volumes")
ECS_20 = _cspm(SH_ECS_CONTROLS, "ECS.20", "ECS Task Definitions should configure non-root users "
               "in Linux container definitions")
ECS_21 = _cspm(SH_ECS_CONTROLS, "ECS.21", "ECS Task Definitions should configure non-administrator "
               "users in Windows container definitions")
EFS_1 = Control("Security Hub CSPM", "EFS.1", "Elastic File System should be configured to "
                "encrypt file data at-rest using AWS KMS", f"{SH_EFS_CONTROLS}#efs-1",
                note="evaluated on the file systems task definitions mount (CSPM evaluates "
                "every file system of the account)")
ECR_1 = _cspm(SH_ECR_CONTROLS, "ECR.1", "ECR private repositories should have image scanning "
              "configured")
ECR_2 = _cspm(SH_ECR_CONTROLS, "ECR.2", "ECR private repositories should have tag immutability "
              "configured")
IAM_1 = _cspm(SH_IAM_CONTROLS, "IAM.1", 'IAM policies should not allow full "*" administrative '
              "privileges")


# --- Well-Architected SEC06-BP02, one entry per practice of it a trait checks ------------------
def _hardened(practice: str) -> Control:
    """One practice of SEC06-BP02: the best practice has one id, the traits check its parts."""
    return Control("AWS Well-Architected", "SEC06-BP02",
                   f"{WA_HARDENED_TITLE}: {practice}", WA_HARDENED_IMAGES)


WA_HARDENED_TITLE = "Provision compute from hardened images"


WA_TRUSTED_REGISTRIES = _hardened("acquire images only from trusted registries")
WA_VERIFIED_SIGNATURES = _hardened("verify the signatures (integrity) of the images you run")
WA_PRIVATE_REGISTRIES = _hardened("keep trusted images in your own private registries")
WA_SCAN_AND_REBUILD = _hardened("scan images regularly and rebuild them from patched bases")
WA_MINIMAL_PACKAGES = _hardened("remove software packages that are not required")
WA_NON_ROOT = _hardened("remove default users: run as a non-root user")

WA_PRACTICES = (WA_TRUSTED_REGISTRIES, WA_VERIFIED_SIGNATURES, WA_PRIVATE_REGISTRIES,
                WA_SCAN_AND_REBUILD, WA_MINIMAL_PACKAGES, WA_NON_ROOT)
"""The practices of SEC06-BP02 in the order the best practice's page states them."""


# --- NIST SP 800-190, section 4 (countermeasures), one entry per subsection a trait evidences --
NIST_800_190 = "https://doi.org/10.6028/NIST.SP.800-190"


def _nist(section: str, title: str, note: str = "") -> Control:
    """A countermeasure subsection of NIST SP 800-190 (Application Container Security Guide,
    September 2017); the document is one PDF, so every entry links to it."""
    return Control("NIST SP 800-190", section, title, NIST_800_190, note=note)


NIST_IMAGE_VULNERABILITIES = _nist("4.1.1", "Image vulnerabilities")
NIST_IMAGE_CONFIGURATION = _nist("4.1.2", "Image configuration defects")
NIST_EMBEDDED_MALWARE = _nist("4.1.3", "Embedded malware")
NIST_CLEARTEXT_SECRETS = _nist(
    "4.1.4", "Embedded clear text secrets",
    note="secrets in task definition environment variables: the same countermeasure (provide "
    "them at runtime from a secret store) for a secret kept beside the image, not inside it")
NIST_UNTRUSTED_IMAGES = _nist("4.1.5", "Use of untrusted images")
NIST_STALE_IMAGES = _nist("4.2.2", "Stale images in registries")
NIST_NETWORK_SEPARATION = _nist("4.3.3", "Poorly separated inter-container network traffic")
NIST_RUNTIME_VULNERABILITIES = _nist(
    "4.4.1", "Vulnerabilities within the runtime software",
    note="Fargate platform versions only: the runtime of EC2 container instances is not read")
NIST_RUNTIME_CONFIGURATION = _nist("4.4.3", "Insecure container runtime configurations")
NIST_APP_VULNERABILITIES = _nist(
    "4.4.4", "App vulnerabilities",
    note="its one configuration countermeasure: root filesystems in read-only mode")
NIST_HOST_FILESYSTEM = _nist("4.5.5", "Host file system tampering")
