"""The Inventory: every input, in AWS API shapes, with the indexes the detectors need.

Detectors never search lists: every join they make (service → task definition revision, service
→ security groups → rules, subnet → route table, target group → load balancer → listeners,
task definition → roles → policies) is a dictionary lookup here, so a scan stays linear in the
size of the estate.

It holds inputs and the indexes built from them, nothing else: the settings a scan judges by
(policy, EPSS threshold, clock) are :class:`ecs_exposure.settings.ScanSettings`, and what a
scan derives from the inputs is kept in its :class:`ecs_exposure.settings.ScanMemo`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import orjson

from ecs_exposure.analysis.arn import last_segment, parse_arn
from ecs_exposure.analysis.images.context import ImageContext
from ecs_exposure.analysis.images.reference import parse_image
from ecs_exposure.analysis.shapes import as_dict, as_list
from ecs_exposure.analysis.vulnerabilities.records import ImageReport
from ecs_exposure.analysis.vulnerabilities.store import VulnerabilityStore
from ecs_exposure.model import Json, SourceError


@dataclass
class Inventory:
    """One model over the API-shaped dicts, whatever source they came from."""

    task_definitions: dict[str, Json] = field(default_factory=dict)
    """Keyed by ARN; task definitions without one by ``family:revision`` or ``family``."""
    services: dict[str, Json] = field(default_factory=dict)
    clusters: dict[str, Json] = field(default_factory=dict)
    security_groups: dict[str, Json] = field(default_factory=dict)
    subnets: dict[str, Json] = field(default_factory=dict)
    route_tables: dict[str, Json] = field(default_factory=dict)
    network_interfaces: dict[str, Json] = field(default_factory=dict)
    load_balancers: dict[str, Json] = field(default_factory=dict)
    target_groups: dict[str, Json] = field(default_factory=dict)
    listeners: dict[str, Json] = field(default_factory=dict)
    roles: dict[str, Json] = field(default_factory=dict)
    """IAM roles keyed by ARN."""
    managed_policies: dict[str, Json] = field(default_factory=dict)
    """IAM managed policies keyed by ARN (with ``PolicyVersionList``)."""
    sources: dict[str, str] = field(default_factory=dict)
    """Resource key → input file it came from (for evidence locations)."""
    prefixes: dict[str, str] = field(default_factory=dict)
    """Resource key → JSON pointer of the resource inside its file (``/services/3``)."""
    pointer_maps: dict[str, Callable[[str], str]] = field(default_factory=dict)
    """Resource key → translation of an API-shape pointer into a pointer into the file, for
    sources whose files are not API-shaped (CloudFormation, Terraform)."""
    supplied: set[str] = field(default_factory=set)
    """Which kinds of context were supplied at all (``security-groups``, ``subnets``…)."""
    images: ImageContext = field(default_factory=ImageContext)
    """Image facts, ECR repositories/images/scanning and scan dates."""
    vulnerabilities: VulnerabilityStore = field(default_factory=VulnerabilityStore)
    """Scanner reports indexed by image digest and tag, plus EPSS and KEV intelligence."""
    image_digests: dict[str, set[str]] = field(default_factory=dict)
    """Image reference (as a container definition names it) → manifest digests that running
    tasks were seen to use (``DescribeTasks → containers[].imageDigest``, live collection).
    Reports are matched on these before falling back to repository + tag."""
    incomplete: dict[str, list[str]] = field(default_factory=dict)
    """Resource (service ARN, or a scope such as a cluster) → what could not be read about it.
    Filled by live collection and snapshots; such resources are never reported as clean."""
    errors: list[SourceError] = field(default_factory=list)
    """Problems a source recorded while producing data (a snapshot's collection errors), so
    they reach the result however the data was loaded."""

    _td_by_family_revision: dict[str, str] = field(default_factory=dict)
    _td_latest_by_family: dict[str, tuple[int, str]] = field(default_factory=dict)
    _roles_by_name: dict[str, str] = field(default_factory=dict)
    unreadable_roles: dict[str, str] = field(default_factory=dict)
    """Role name (``*`` when it has none either) → why an IAM export entry for it could not
    be read (no usable ``Arn``): a role it may be has unknown permissions."""
    _route_table_by_subnet: dict[str, str] = field(default_factory=dict)
    _main_route_table_by_vpc: dict[str, str] = field(default_factory=dict)
    _unreadable_routes: dict[str, str] = field(default_factory=dict)
    """Subnet (or ``vpc:ID`` / ``vpc:*`` for every subnet that falls back to the main
    table) → why its route table could not be read (an entry without a usable id)."""
    _listeners_by_lb: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _clusters_by_name: dict[str, str] = field(default_factory=dict)
    file_systems: dict[str, Json] = field(default_factory=dict)
    """Amazon EFS file systems (``DescribeFileSystems`` shape: ``FileSystemId``,
    ``Encrypted``, ``KmsKeyId``) keyed by id: what task definitions' EFS volumes mount."""

    # ---- adding ---------------------------------------------------------------------------

    def file_pointer(self, key: str, pointer: str) -> str | None:
        """Where an API-shape pointer into resource ``key`` lands inside its input file."""
        if key not in self.sources:
            return None
        if key in self.pointer_maps:
            return self.pointer_maps[key](pointer)
        return self.prefixes.get(key, "") + pointer

    def _origin(self, key: str, source: str, prefix: str) -> None:
        self.sources[key] = source
        self.prefixes[key] = prefix

    def add_task_definition(self, td: Json, source: str, prefix: str = "") -> str:
        """Index a task definition; returns its key."""
        family = str(td.get("family") or "")
        revision = td.get("revision")
        arn = td.get("taskDefinitionArn")
        if isinstance(arn, str) and arn:
            key = arn
            parsed = parse_arn(arn)
            if parsed and not family:
                family = parsed.resource.split("/", 1)[-1].rsplit(":", 1)[0]
            if parsed and revision is None:
                tail = parsed.resource.rsplit(":", 1)[-1]
                revision = int(tail) if tail.isdigit() else None
        elif isinstance(revision, int):
            key = f"{family}:{revision}"
        else:
            key = family or source
        if key in self.task_definitions and self.sources.get(key) != source and not arn:
            # Unregistered drafts share family names across files; keep every one of them.
            key = f"{key} ({source})"
        suffix = 2
        base = key
        while key in self.task_definitions and self.sources.get(key) == source and not arn:
            key = f"{base} #{suffix}"
            suffix += 1
        self.task_definitions[key] = td
        self._origin(key, source, prefix)
        if family and isinstance(revision, int):
            self._td_by_family_revision[f"{family}:{revision}"] = key
            latest = self._td_latest_by_family.get(family)
            if latest is None or revision > latest[0]:
                self._td_latest_by_family[family] = (revision, key)
        elif family and family not in self._td_latest_by_family:
            self._td_latest_by_family[family] = (-1, key)
        return key

    def add_service(self, service: Json, source: str, prefix: str = "") -> None:
        """Index a service by ARN (later files replace earlier copies of the same service)."""
        key = str(service.get("serviceArn") or service.get("serviceName") or source)
        if "events" in service:     # up to 100 messages a service that no check reads
            service = {name: value for name, value in service.items() if name != "events"}
        self.services[key] = service
        self._origin(key, source, prefix)

    def add_cluster(self, cluster: Json, source: str, prefix: str = "") -> None:
        """Index a cluster by ARN and by name."""
        key = str(cluster.get("clusterArn") or cluster.get("clusterName") or source)
        self.clusters[key] = cluster
        self._origin(key, source, prefix)
        name = cluster.get("clusterName")
        if isinstance(name, str):
            self._clusters_by_name[name] = key

    def add_file_systems(self, items: list[Any], source: str, prefix: str = "") -> None:
        """Index EFS file systems by ``FileSystemId`` (entries without one are skipped: the
        volumes that name them stay unknown, never encrypted)."""
        self.supplied.add("efs")
        for index, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get("FileSystemId"), str):
                self.file_systems[item["FileSystemId"]] = item
                self._origin(item["FileSystemId"], source, f"{prefix}/{index}")

    def add_ec2(self, kind: str, items: list[Any], source: str, prefix: str = "") -> None:
        """Index EC2 network context (security groups, subnets, route tables, ENIs)."""
        self.supplied.add(kind)
        id_key, table = {
            "security-groups": ("GroupId", self.security_groups),
            "subnets": ("SubnetId", self.subnets),
            "route-tables": ("RouteTableId", self.route_tables),
            "network-interfaces": ("NetworkInterfaceId", self.network_interfaces),
        }[kind]
        for index, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get(id_key), str):
                table[item[id_key]] = item
                self._origin(item[id_key], source, f"{prefix}/{index}")
                if kind == "route-tables":
                    self._index_route_table(item)
            elif kind == "route-tables":
                self._unreadable_route_table(item, f"{source}#{prefix}/{index}")

    def _index_route_table(self, table: Json) -> None:
        for assoc in as_list(table.get("Associations")):
            if not isinstance(assoc, dict):
                continue
            if assoc.get("Main") is True and isinstance(table.get("VpcId"), str):
                self._main_route_table_by_vpc[table["VpcId"]] = table["RouteTableId"]
            if isinstance(assoc.get("SubnetId"), str):
                self._route_table_by_subnet[assoc["SubnetId"]] = table["RouteTableId"]

    def _unreadable_route_table(self, item: Any, where: str) -> None:
        """A route table without a usable id: the subnets it names (or, when it is a main
        table or names none, every subnet of its VPC that has no table of its own) have
        unknown routes, never "no internet gateway"."""
        table = item if isinstance(item, dict) else {}
        reason = (f"route table {table.get('RouteTableId')!r} at {where} is unreadable "
                  "(no usable RouteTableId)")
        vpc = table.get("VpcId")
        subnets = []
        main = not isinstance(table.get("Associations"), list)
        for assoc in as_list(table.get("Associations")):
            if isinstance(assoc, dict) and isinstance(assoc.get("SubnetId"), str):
                subnets.append(assoc["SubnetId"])
            elif not (isinstance(assoc, dict) and assoc.get("Main") is False):
                main = True
        for subnet in subnets:
            self._unreadable_routes.setdefault(subnet, reason)
        if main or not subnets:
            self._unreadable_routes.setdefault(
                f"vpc:{vpc}" if isinstance(vpc, str) else "vpc:*", reason)

    def unreadable_route(self, subnet_id: str) -> str | None:
        """Why the route table of ``subnet_id`` cannot be known, if an unreadable route table
        may be the one it uses."""
        if subnet_id in self._unreadable_routes:
            return self._unreadable_routes[subnet_id]
        if subnet_id in self._route_table_by_subnet:
            return None
        vpc = self.subnets.get(subnet_id, {}).get("VpcId")
        return (self._unreadable_routes.get(f"vpc:{vpc}") if isinstance(vpc, str) else None) \
            or self._unreadable_routes.get("vpc:*")

    def add_elbv2(self, kind: str, items: list[Any], source: str, prefix: str = "") -> None:
        """Index load balancers, target groups and listeners by ARN."""
        self.supplied.add(kind)
        id_key, table = {
            "load-balancers": ("LoadBalancerArn", self.load_balancers),
            "target-groups": ("TargetGroupArn", self.target_groups),
            "listeners": ("ListenerArn", self.listeners),
        }[kind]
        for index, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get(id_key), str):
                table[item[id_key]] = item
                self._origin(item[id_key], source, f"{prefix}/{index}")
                if kind == "listeners" and isinstance(item.get("LoadBalancerArn"), str):
                    self._listeners_by_lb[item["LoadBalancerArn"]].append(item[id_key])

    def add_iam(self, doc: Json, source: str, prefix: str = "") -> None:
        """Index roles and managed policies from get-account-authorization-details."""
        self.supplied.add("iam")
        for index, role in enumerate(as_list(doc.get("RoleDetailList"))):
            if isinstance(role, dict) and isinstance(role.get("Arn"), str):
                self.roles[role["Arn"]] = role
                self._origin(role["Arn"], source, f"{prefix}/RoleDetailList/{index}")
                if isinstance(role.get("RoleName"), str):
                    self._roles_by_name[role["RoleName"]] = role["Arn"]
            else:
                name = as_dict(role).get("RoleName")
                self.unreadable_roles.setdefault(
                    name if isinstance(name, str) else "*",
                    f"its entry at {source}#{prefix}/RoleDetailList/{index} has no usable Arn")
        for index, policy in enumerate(as_list(doc.get("Policies"))):
            if isinstance(policy, dict) and isinstance(policy.get("Arn"), str):
                self.managed_policies[policy["Arn"]] = policy
                self._origin(policy["Arn"], source, f"{prefix}/Policies/{index}")

    def add_image_report(self, report: ImageReport) -> None:
        """Index one image's vulnerability report."""
        self.supplied.add("vulnerability-reports")
        self.vulnerabilities.add(report)

    def add_running_digest(self, image: str, digest: str) -> None:
        """Record that a running task of ``image`` uses manifest ``digest`` (live collection)."""
        self.image_digests.setdefault(image, set()).add(digest.lower())

    # ---- lookups ----------------------------------------------------------------------------

    def running_digests(self, image: str) -> frozenset[str]:
        """Digests running tasks use for ``image``, under its literal or canonical spelling."""
        found = set(self.image_digests.get(image, ()))
        ref = parse_image(image)
        if ref is not None and ref.full_name != image:
            found |= self.image_digests.get(ref.full_name, set())
        return frozenset(found)

    def reports_covering(self, image: str) -> list[str]:
        """Sources of the usable vulnerability reports that match ``image``."""
        reports, _ = self.vulnerabilities.match(image, self.image_digests.get(image, ()))
        return [report.source for report in reports]

    def resolve_task_definition(self, ref: str) -> str | None:
        """Key of the task definition a service names: full ARN, ``family:revision`` or family."""
        if ref in self.task_definitions:
            return ref
        parsed = parse_arn(ref)
        name = parsed.resource.split("/", 1)[-1] if parsed else ref
        if name in self._td_by_family_revision:
            return self._td_by_family_revision[name]
        if ":" not in name and name in self._td_latest_by_family:
            return self._td_latest_by_family[name][1]
        return None

    @staticmethod
    def service_task_definition_refs(service: Json) -> list[str]:
        """Every revision the service may be running: its own, each deployment's, each task set's.

        During a rolling deployment the old revision still runs tasks, so its weaknesses are
        still live; the newest registered revision is irrelevant if no service runs it.
        """
        refs: list[str] = []
        candidates = [service.get("taskDefinition")]
        candidates += [d.get("taskDefinition") for d in as_list(service.get("deployments"))
                       if isinstance(d, dict)]
        candidates += [t.get("taskDefinition") for t in as_list(service.get("taskSets"))
                       if isinstance(t, dict)]
        for ref in candidates:
            if isinstance(ref, str) and ref and ref not in refs:
                refs.append(ref)
        return refs

    def cluster_of(self, service: Json) -> tuple[str, Json | None]:
        """Cluster name (from the service or its ARN) and the cluster's data, if supplied."""
        cluster_arn = service.get("clusterArn")
        if isinstance(cluster_arn, str):
            if cluster_arn in self.clusters:
                return last_segment(cluster_arn), self.clusters[cluster_arn]
            name = last_segment(cluster_arn)
        else:
            parsed = parse_arn(service.get("serviceArn"))
            parts = parsed.resource.split("/") if parsed else []
            name = parts[1] if len(parts) == 3 else "default"
        key = self._clusters_by_name.get(name)
        return name, (self.clusters[key] if key else None)

    def route_table_for_subnet(self, subnet_id: str) -> Json | None:
        """The subnet's explicit route table, else its VPC's main route table."""
        table_id = self._route_table_by_subnet.get(subnet_id)
        if table_id is None:
            vpc = self.subnets.get(subnet_id, {}).get("VpcId")
            table_id = self._main_route_table_by_vpc.get(vpc) if isinstance(vpc, str) else None
        return self.route_tables.get(table_id) if table_id else None

    def listeners_of(self, load_balancer_arn: str) -> Iterator[Json]:
        """Listeners of one load balancer."""
        for arn in self._listeners_by_lb.get(load_balancer_arn, []):
            yield self.listeners[arn]

    def role(self, ref: str) -> Json | None:
        """An IAM role by ARN or name (task definitions may use either)."""
        if ref in self.roles:
            return self.roles[ref]
        arn = self._roles_by_name.get(last_segment(ref))
        return self.roles.get(arn) if arn else None

    def policy_document(self, policy_arn: str) -> Json | None:
        """Default-version document of a managed policy, if the inputs hold it."""
        policy = self.managed_policies.get(policy_arn)
        if policy is None:
            return None
        default = policy.get("DefaultVersionId")
        for version in as_list(policy.get("PolicyVersionList")):
            if isinstance(version, dict) and (
                version.get("IsDefaultVersion") or version.get("VersionId") == default
            ):
                return decode_policy_document(version.get("Document"))
        return None

    def accounts(self) -> set[str]:
        """AWS accounts the inputs belong to (their private ECR registries are trusted)."""
        found: set[str] = set()
        for key in list(self.task_definitions) + list(self.services) + list(self.clusters):
            parsed = parse_arn(key)
            if parsed and parsed.account:
                found.add(parsed.account)
        found.update(registry for registry, _ in self.images.repositories)
        return found

    def unattached_task_definitions(self) -> list[str]:
        """Task definitions no service runs (e.g. files from a repository), in input order."""
        used: set[str] = set()
        for service in self.services.values():
            for ref in self.service_task_definition_refs(service):
                key = self.resolve_task_definition(ref)
                if key:
                    used.add(key)
        return [key for key in self.task_definitions if key not in used]


def decode_policy_document(document: Any) -> Json | None:
    """Policy documents arrive as objects (CLI, boto3) or URL-encoded JSON strings (raw API)."""
    if isinstance(document, dict):
        return document
    if isinstance(document, str):
        try:
            parsed = orjson.loads(unquote(document))
        except orjson.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None
