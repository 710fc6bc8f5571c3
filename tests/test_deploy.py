"""The deployment files parse, run the commands CI runs from the wheel, and name real settings.

No container engine or systemd runs on the test machines: these tests read the files
(and ask ``systemd-analyze verify`` about the unit where it exists).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import yaml
from dockerfile_parse import DockerfileParser
from dotenv import dotenv_values

from bot.cli import parser
from bot.settings import PREFIX, SECRETS, Settings, load_settings
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
SETTINGS = {PREFIX + f.name.upper() for f in fields(Settings) if f.name != "origins"}
KNOWN = SETTINGS | {PREFIX + "CONFIG"}  # the config file's own setting (load_settings)


def dockerfile() -> list[tuple[str, str]]:
    parsed = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    return [(i["instruction"], i["value"]) for i in parsed.structure]


def last(instruction: str) -> str:
    values = [value for name, value in dockerfile() if name == instruction]
    assert values, f"the Dockerfile has no {instruction}"
    return values[-1]


def unit() -> dict[str, list[str]]:
    """The systemd unit as key -> values (keys may repeat)."""
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / "crampbot.service").read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def store_path(url: str) -> Path:
    settings = load_settings({"CRAMPBOT_STORE": url})
    assert settings.store.startswith("sqlite:///"), url
    return Path(settings.store.removeprefix("sqlite:///"))


def crampbot_commands() -> list[list[str]]:
    """Every `crampbot ...` command line the deployment files run, as argument lists."""
    image = json.loads(last("ENTRYPOINT")) + json.loads(last("CMD"))
    service = shlex.split(unit()["ExecStart"][0])
    bot = compose()["services"]["bot"]
    composed = json.loads(last("ENTRYPOINT")) + bot["command"]
    return [image, service, composed]


def healthcheck() -> list[str]:
    """The Dockerfile's HEALTHCHECK command (tests/ops/test_health.py runs it against a bot)."""
    return list(json.loads(last("HEALTHCHECK").split("CMD", 1)[1]))


def test_dockerfile_runs_as_non_root_on_slim_python_when_parsed() -> None:
    parsed = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", parsed.baseimage), parsed.baseimage
    assert last("USER") not in ("root", "0", "")
    assert any(name == "HEALTHCHECK" for name, _ in dockerfile())


def test_dockerfile_keeps_the_store_on_its_volume_when_run() -> None:
    volumes = [Path(v) for v in json.loads(last("VOLUME"))]
    store = DockerfileParser(path=str(DEPLOY / "Dockerfile")).envs["CRAMPBOT_STORE"]
    assert any(store_path(store).is_relative_to(volume) for volume in volumes), store


def test_dockerfile_installs_the_wheel_with_the_constraints_when_built() -> None:
    installs = [v for name, v in dockerfile() if name == "RUN" and "pip install" in v]
    assert any("-c /tmp/constraints.txt" in v and ".whl" in v for v in installs), installs


def test_deploy_commands_are_ones_the_wheel_check_runs_when_compared() -> None:
    check = (ROOT / ".ci" / "wheel-check").read_text()
    for command in crampbot_commands():
        assert Path(command[0]).name == "crampbot", command
        parser().parse_args(command[1:])  # exits (fails the test) on an unknown command
        if command[1:] != ["run", "all"]:
            assert f'"$bin/crampbot" {" ".join(command[1:])}' in check, command


def test_compose_starts_the_bot_after_a_healthy_redis_when_parsed() -> None:
    services = compose()["services"]
    redis, bot = services["redis"], services["bot"]
    assert redis["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    assert bot["depends_on"]["redis"]["condition"] == "service_healthy"
    assert load_settings(bot["environment"]).store == "redis://redis:6379/0"
    assert (DEPLOY / bot["build"]["context"] / bot["build"]["dockerfile"]).is_file()


def test_compose_keeps_data_on_named_volumes_when_parsed() -> None:
    data = compose()
    declared = set(data["volumes"])
    for name in ("bot", "redis"):
        mounts = data["services"][name]["volumes"]
        assert mounts and all(m.split(":")[0] in declared for m in mounts), mounts
    assert "--appendonly" in data["services"]["redis"]["command"]


def test_env_example_names_only_settings_and_holds_no_secret_when_parsed() -> None:
    values = dotenv_values(DEPLOY / "crampbot.env.example")
    assert values and set(values) <= SETTINGS, set(values) - SETTINGS
    assert all(not values.get(PREFIX + name.upper()) for name in SECRETS)
    load_settings({k: v for k, v in values.items() if v})  # the filled-in values are valid


def test_env_file_never_enters_the_image_when_built() -> None:
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert compose()["services"]["bot"]["env_file"] == "crampbot.env"
    assert "deploy/crampbot.env" in ignored and ".venv" in ignored


def test_unit_reloads_on_sighup_and_stores_in_its_state_directory_when_parsed() -> None:
    keys = unit()
    assert keys["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    (state,) = keys["StateDirectory"]
    stores = [e.split("=", 1)[1] for e in keys["Environment"] if e.startswith("CRAMPBOT_STORE=")]
    assert len(stores) == 1 and store_path(stores[0]).is_relative_to(f"/var/lib/{state}")


def test_unit_is_hardened_when_parsed() -> None:
    keys = unit()
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "DynamicUser": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert keys.get(key) == [value], key


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze here")
def test_unit_passes_systemd_analyze_verify_when_installed_here(tmp_path: Path) -> None:
    """Verified with the unit's install paths pointed at this checkout's crampbot and env."""
    env = tmp_path / "crampbot.env"
    shutil.copy(DEPLOY / "crampbot.env.example", env)
    crampbot = Path(sys.executable).parent / "crampbot"
    text = (DEPLOY / "crampbot.service").read_text()
    text = text.replace("/opt/crampbot/venv/bin/crampbot", str(crampbot))
    text = text.replace("/etc/crampbot/crampbot.env", str(env))
    assert str(crampbot) in text and str(env) in text
    service = tmp_path / "crampbot.service"
    service.write_text(text)
    run = subprocess.run(
        ["systemd-analyze", "verify", str(service)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0 and not run.stderr.strip(), run.stdout + run.stderr


def test_every_setting_named_in_the_guide_and_deploy_files_exists_when_read() -> None:
    files = [ROOT / "docs" / "operating.md", *sorted(p for p in DEPLOY.iterdir() if p.is_file())]
    named = {n for f in files for n in re.findall(r"CRAMPBOT_[A-Z0-9_]*[A-Z0-9]", f.read_text())}
    assert named - KNOWN == set(), "settings that bot/settings.py does not have"
    assert len(named) > 10  # the guide and files were really read
