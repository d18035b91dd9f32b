"""moto's server on 127.0.0.1 behind a fault injector: the local AWS of the test suite.

The server runs in the test process (a thread), so boto3 reaches it over real HTTP while the
tests can still patch moto's gaps and see every request. Faults are answered *in the server*,
in front of moto: a matching request gets a real HTTP error in its protocol's own format
(JSON for ECS/ECR/Organizations, EC2's XML, the query XML of IAM/STS/ELBv2), so botocore's
retries, error parsing and the collector's handling run exactly as against AWS.

Three moto gaps are patched in-process, each only making moto return what AWS returns:
``CreateService``/``UpdateService`` drop ``enableExecuteCommand``; ``UpdateService`` with a new
task definition leaves the PRIMARY deployment on the old revision (patched as AWS starts a
rollout: a new PRIMARY deployment of the new revision, the old one ACTIVE until it drains, see
:func:`complete_rollouts`); and ``RunTask`` in ``awsvpc`` mode crashes on a missing ENI
attribute.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import boto3
from werkzeug.serving import WSGIRequestHandler, make_server

ACCOUNT = "123456789012"
"""The caller's account (moto's default account for non-assumed credentials)."""
REGIONS = ("us-east-1", "eu-west-1")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass
class Fault:
    """An error the server returns instead of calling moto, for requests that match.

    ``None`` fields match anything. ``times`` bounds how often it fires (``None``: always).
    """

    code: str
    status: int = 400
    message: str = "injected by the test"
    service: str | None = None
    """Signing name: ``ecs``, ``ec2``, ``elasticloadbalancing``, ``iam``, ``ecr``, ``sts``…"""
    operation: str | None = None
    region: str | None = None
    account: str | None = None
    times: int | None = None
    hits: int = 0
    answer: Callable[[bytes], bytes] | None = None
    """Instead of an error: let moto answer, then replace the body with ``answer(body)`` and
    status 200 (an answer that parses but is wrong: ids left out, truncated, endless pages)."""

    def matches(self, request: Request) -> bool:
        return all(want is None or want == got for want, got in (
            (self.service, request.service), (self.operation, request.operation),
            (self.region, request.region), (self.account, request.account)))


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    service: str
    operation: str
    region: str
    account: str
    status: int | None
    """HTTP status of an injected fault; ``None`` when moto answered."""


class Faults:
    """The active faults (thread-safe: the server is threaded)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, request: Request) -> Fault | None:
        """The first matching fault that has not run out; counts the hit."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(request) and (fault.times is None or fault.hits < fault.times):
                    fault.hits += 1
                    return fault
        return None


_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


def _error_body(service: str, json_protocol: bool, fault: Fault) -> tuple[str, bytes]:
    """The error document each protocol uses, so botocore parses it like AWS's."""
    if json_protocol:
        return "application/x-amz-json-1.1", json.dumps(
            {"__type": fault.code, "message": fault.message}).encode()
    code, message, request_id = escape(fault.code), escape(fault.message), uuid.uuid4()
    if service == "ec2":
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
                f"</Error></Errors><RequestID>{request_id}</RequestID></Response>")
    else:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>"
                f"{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
    return "text/xml", body.encode()


REST_OPERATIONS = {
    ("elasticfilesystem", "GET", "/2015-02-01/file-systems"): "DescribeFileSystems",
}
"""Operations of REST APIs (no ``X-Amz-Target``, no ``Action``) by service, method and path;
these services' errors are JSON documents, as those of the JSON protocol."""


class _FaultInjector:
    """WSGI middleware in front of moto: logs every request, answers faults itself."""

    def __init__(self, app: Any, server: MotoServer) -> None:
        self.app = app
        self.server = server

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        from moto.iam.models import get_account_id_from

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        access_key, region, service = scope.groups() if scope else ("", "", "")
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            operation = target.rsplit(".", 1)[-1]
        else:
            operation = parse_qs(body.decode(errors="replace")).get("Action", [""])[0] or \
                REST_OPERATIONS.get((service, environ.get("REQUEST_METHOD", ""),
                                     environ.get("PATH_INFO", "").rstrip("/")), "")
        account = get_account_id_from(access_key) if access_key else ACCOUNT
        request = Request(service, operation, region, account, None)
        fault = self.server.faults.take(request)
        if fault is not None:
            request = Request(service, operation, region, account, fault.status)
        if fault is not None and fault.answer is not None:
            request = Request(service, operation, region, account, None)
        self.server.log(request)
        if fault is None:
            return self.app(environ, start_response)
        if fault.answer is not None:
            return self._rewritten(environ, start_response, fault.answer)
        content_type, payload = _error_body(service, bool(target) or any(
            key[0] == service for key in REST_OPERATIONS), fault)
        start_response(f"{fault.status} Injected", [("Content-Type", content_type),
                                                    ("Content-Length", str(len(payload)))])
        return [payload]


    def _rewritten(self, environ: dict[str, Any], start_response: Any,
                   answer: Callable[[bytes], bytes]) -> Any:
        """moto's answer with its body replaced, as a 200."""
        captured: list[Any] = []
        chunks = self.app(environ, lambda status, headers, *_: captured.append(headers))
        payload = answer(b"".join(chunks))
        headers = [(k, v) for k, v in (captured[0] if captured else [])
                   if k.lower() != "content-length"]
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/x-amz-json-1.1"))
        start_response("200 OK", [*headers, ("Content-Length", str(len(payload)))])
        return [payload]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """No access log on the test output."""


def _patch_moto() -> None:
    """Make moto return two fields AWS returns (see the module docstring). Idempotent."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface
    from moto.ecs.responses import EC2ContainerServiceResponse

    if getattr(EC2ContainerServiceResponse, "_ecs_exposure_patched", False):
        return
    if not hasattr(NetworkInterface, "private_dns_name"):
        NetworkInterface.private_dns_name = property(  # type: ignore[attr-defined]
            lambda self: "ip-" + str(self.private_ip_address).replace(".", "-")
            + ".ec2.internal")

    def keep_exec_flag(original: Any) -> Any:
        def handler(self: Any) -> Any:
            result = original(self)
            flag = self._get_param("enableExecuteCommand")
            service = getattr(result, "result", {}).get("service")
            if flag is not None and service is not None:
                service.enable_execute_command = bool(flag)
            revision = self._get_param("taskDefinition")
            current = service.deployments[0] if service is not None and service.deployments \
                else None
            if revision and current is not None and \
                    current["taskDefinition"] != service.task_definition:
                current["status"] = "ACTIVE"
                service.deployments.insert(0, {
                    **current, "id": f"ecs-svc/{uuid.uuid4().int % 10**19}",
                    "status": "PRIMARY", "taskDefinition": service.task_definition,
                    "rolloutState": "IN_PROGRESS"})
            return result
        return handler

    for name in ("create_service", "update_service"):
        setattr(EC2ContainerServiceResponse, name,
                keep_exec_flag(getattr(EC2ContainerServiceResponse, name)))
    EC2ContainerServiceResponse._ecs_exposure_patched = True  # type: ignore[attr-defined]


def complete_rollouts(account: str, region: str) -> None:
    """Let time pass: every service's old deployments have drained (AWS drops them)."""
    from moto.ecs.models import ecs_backends

    for service in ecs_backends[account][region].services.values():
        service.deployments = [d for d in service.deployments if d.get("status") == "PRIMARY"]
        for deployment in service.deployments:
            deployment["rolloutState"] = "COMPLETED"


def reset_region(account: str, region: str) -> None:
    """Forget everything a test created in one region (ECS, EC2, ECR, ELBv2), so a test that
    changes AWS leaves the shared estate as the live-collection tests expect it."""
    from moto.ec2.models import ec2_backends
    from moto.ecr.models import ecr_backends
    from moto.ecs.models import ecs_backends
    from moto.elbv2.models import elbv2_backends

    for backends in (ecs_backends, ec2_backends, ecr_backends, elbv2_backends):
        backends[account][region].reset()


class MotoServer:
    """moto's server app behind the fault injector, on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        # AWS-managed policies (AdministratorAccess…) exist in every account, as in AWS.
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        _patch_moto()
        self.faults = Faults()
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        app = _FaultInjector(DomainDispatcherApplication(create_backend_app), self)
        self._server = make_server("127.0.0.1", 0, app, threaded=True,
                                   request_handler=_QuietHandler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def log(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def env(self) -> dict[str, str]:
        """Environment for boto3 (and subprocesses) to use this server and nothing else."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_DEFAULT_REGION": REGIONS[0], "AWS_REGION": REGIONS[0],
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "3",
                "NO_PROXY": "127.0.0.1,localhost"}

    def client(self, service: str, region: str = REGIONS[0],
               credentials: dict[str, str] | None = None) -> Any:
        """A boto3 client of this server, as the caller or with ``credentials``."""
        creds = credentials or {"aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
                                "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint, **creds)

    def credentials_in(self, account: str) -> dict[str, str] | None:
        """Credentials in ``account`` (assume-role from the caller); ``None`` for the caller."""
        if account == ACCOUNT:
            return None
        creds = self.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
            RoleSessionName="seed")["Credentials"]
        return {"aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"]}

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
