from __future__ import annotations

from ecs_exposure.model import Level
from support.builders import container, task_definition, td_traits

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _creds(**fields: object) -> list:  # type: ignore[type-arg]
    return [t for t in td_traits(task_definition(containers=[container(**fields)]))
            if t.id == "plaintext-credentials"]


def test_environment_credentials_with_pointer_and_no_value() -> None:
    hits = _creds(environment=[
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "AWS_ACCESS_KEY_ID", "value": AWS_KEY},
        {"name": "AWS_SECRET_ACCESS_KEY", "value": AWS_SECRET},
        {"name": "DB_PASSWORD", "value": "hunter2hunter2"},
    ])
    assert [h.pointer for h in hits] == [f"/containerDefinitions/0/environment/{i}"
                                         for i in (1, 2, 3)]
    assert [h.impact for h in hits] == [Level.HIGH, Level.HIGH, Level.MEDIUM]
    for hit in hits:
        assert AWS_KEY not in hit.detail and AWS_SECRET not in hit.detail
        assert "hunter2" not in hit.detail
        facts = dict(hit.extra)
        assert facts["fingerprint"].startswith("hmac-sha256:")
        assert isinstance(facts["length"], int)


def test_look_alikes_are_not_flagged() -> None:
    hits = _creds(environment=[
        {"name": "DB_PASSWORD_SECRET_ARN",
         "value": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"},
        {"name": "TOKEN_FILE", "value": "/run/secrets/token"},
        {"name": "API_KEY", "value": "${API_KEY}"},
        {"name": "PASSWORD_MIN_LENGTH", "value": "12"},
        {"name": "SECRET_ENABLED", "value": "true"},
        {"name": "SERVICE_URL", "value": "https://api.example.com/v1"},
        {"name": "DB_PASSWORD", "value": ""},
        {"name": "KMS_KEY_ID", "value": "1234abcd-12ab-34cd-56ef-1234567890ab"},
        {"name": "CFN", "value": "{{resolve:secretsmanager:MySecret}}"},
    ])
    assert hits == []


def test_value_patterns_whatever_the_name() -> None:
    hits = _creds(environment=[
        {"name": "CONFIG", "value": AWS_KEY},
        {"name": "DATABASE_URL", "value": "postgres://app:s3cretpw@db.internal:5432/app"},
    ])
    kinds = [dict(h.extra)["kind"] for h in hits]
    assert kinds == ["aws-access-key-id", "url-with-password"]
    assert hits[0].impact is Level.HIGH


def test_command_and_entry_point_are_scanned() -> None:
    hits = _creds(command=["sh", "-c", f"AWS_ACCESS_KEY_ID={AWS_KEY} ./run"],
                  entryPoint=["/app", "--db-url=postgres://u:pw12345@h/db"])
    assert [h.pointer for h in hits] == ["/containerDefinitions/0/command/2",
                                         "/containerDefinitions/0/entryPoint/1"]
    assert all(AWS_KEY not in h.detail for h in hits)


def test_log_router_options_and_secret_options() -> None:
    hits = _creds(logConfiguration={
        "logDriver": "awsfirelens",
        "options": {"Name": "http", "http_passwd": "fluentPa55word", "tls": "on",
                    "apikey": "<your-api-key>", "Host/Path": "x"},
        "secretOptions": [{"name": "apikey",
                           "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/k"}],
    })
    assert [h.pointer for h in hits] == ["/containerDefinitions/0/logConfiguration/options/"
                                         "http_passwd"]


def test_secrets_section_is_not_plaintext() -> None:
    assert _creds(secrets=[{"name": "DB_PASSWORD",
                            "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/db"}]) == []
