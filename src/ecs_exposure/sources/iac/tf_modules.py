"""Terraform module folders of one scan: each evaluated once, local module calls followed.

A Terraform module is a folder: a service in ``main.tf`` refers to security groups in
``network.tf`` and to ``var.*``/``local.*`` declared in ``variables.tf``. So every ``.tf`` file
is evaluated with the variables and locals of its whole folder, and the other files' resources
resolve its references.

``module "x" { source = "./modules/x" }`` makes that folder part of the configuration: it is
read when the call is (its files once, however many calls use it and whether the call or the
folder itself comes first in the scan), with the call's arguments as its variables, arguments
referring to the caller's resources resolved to their ids so the module's service joins the
caller's security groups. Only folders inside the scanned folders are read, to a bounded
depth; a module that is not read (remote, outside the scan, too deep) is recorded as
*incomplete* with the reason, never passed over in silence.

The first visit decides a folder's variables: a call's arguments if a call reaches it first,
else its defaults and ``--parameters``. The scan walks folders in sorted order, so a root
configuration next to ``modules/`` is read before them.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecs_exposure.analysis.unknown import Unknown
from ecs_exposure.inventory import Inventory
from ecs_exposure.sources.iac import hcl
from ecs_exposure.sources.iac.tf_files import FileAccess, inside, real
from ecs_exposure.sources.iac.tf_resource import single_block
from ecs_exposure.sources.iac.tf_translate import TfTranslation
from ecs_exposure.sources.jsonfile import InputError, read_input

MAX_MODULE_DEPTH = 8
"""Module calls followed from a file read by the scan, at most this deep."""
MAX_LOCALS_PASSES = 4
"""``local.a`` may refer to ``local.b``: locals are evaluated again until they settle."""
META_ARGUMENTS = frozenset({"source", "version", "count", "for_each", "providers",
                            "depends_on"})
"""Arguments of a ``module`` block that are not the module's variables."""


@dataclass
class ModuleDir:
    """One module folder evaluated with one set of variables."""

    path: str
    """The folder as the scan names it (``tf/modules/app``)."""
    files: FileAccess
    variables: dict[str, Any] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    """``data.template_file.<name>.rendered``: the templates of Terraform 0.11-era code."""
    names: dict[str, str] = field(default_factory=dict)
    """Resolved path → the file as the scan names it."""
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Resolved path → evaluated document."""
    failed: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Resolved path → (file as the scan names it, why it could not be parsed)."""

    @classmethod
    def load(cls, path: str, files: FileAccess, inputs: dict[str, Any]) -> ModuleDir:
        """Evaluate the folder: variable defaults (``inputs`` override them), then locals
        and rendered templates until they settle, then every file."""
        module = cls(path, files)
        trees: dict[str, hcl.Parsed] = {}   # parse trees are large: kept only while loading
        for file in sorted(Path(path or ".").glob("*.tf")):
            key, name = real(str(file)), os.path.join(path, file.name)
            try:
                trees[key] = hcl.parse(read_input(file, hcl.MAX_HCL_BYTES))
                module.names[key] = name
            except InputError as exc:
                module.failed[key] = (name, str(exc))
            except OSError as exc:
                module.failed[key] = (name, f"cannot read: {exc.strerror or exc}")
        for doc in module._evaluate(trees, frozenset({"variable"})):
            for name, spec in (doc.get("variable") or {}).items():
                if isinstance(spec, dict) and "default" in spec:
                    module.variables[name] = spec["default"]
        module.variables.update(inputs)
        for _ in range(MAX_LOCALS_PASSES):
            found: dict[str, Any] = {}
            templates: dict[str, Any] = {}
            for doc in module._evaluate(trees, frozenset({"locals", "data"})):
                for block in doc.get("locals") or []:
                    found.update(block if isinstance(block, dict) else {})
                templates.update(module.templates(doc))
            settled = found == module.locals and templates == module.data.get("template_file")
            module.locals = found
            module.data = {"template_file": templates}
            if settled:
                break
        documents = module._evaluate(trees, None)    # drops what fails from trees
        module.documents = dict(zip(trees, documents, strict=True))
        return module

    def _evaluate(self, trees: dict[str, hcl.Parsed],
                  kinds: frozenset[str] | None) -> list[dict[str, Any]]:
        """Each file evaluated in the folder's current context; one nested too deeply to
        evaluate fails (and is dropped from ``trees``)."""
        docs: list[dict[str, Any]] = []
        for key, parsed in list(trees.items()):
            try:
                docs.append(hcl.evaluate_parsed(parsed, self.variables, self.locals,
                                                self.files, kinds, self.data)[0])
            except InputError as exc:
                self.failed[key] = (self.names.pop(key), str(exc))
                del trees[key]
        return docs

    def templates(self, doc: dict[str, Any]) -> dict[str, Any]:
        """``data "template_file"`` blocks of one document, rendered."""
        found: dict[str, Any] = {}
        data = doc.get("data")
        blocks = data.get("template_file") if isinstance(data, dict) else None
        for name, body in (blocks.items() if isinstance(blocks, dict) else ()):
            if not isinstance(body, dict):
                continue
            template, variables = body.get("template"), single_block(body.get("vars"))
            what = f"data.template_file.{name}"
            rendered: Any = Unknown(f"hcl: {what}")
            if isinstance(template, str) and not isinstance(template, Unknown):
                rendered = hcl.render_template(template, variables, self.files, what)
            found[name] = {"rendered": rendered}
        return found

    def document(self, source: str, data: bytes | None) -> dict[str, Any]:
        """The evaluated document of ``source`` (parsed from ``data`` when it is not one of
        the folder's ``.tf`` files); :class:`InputError` when it does not parse."""
        key = real(source)
        if key in self.documents:
            return self.documents[key]
        parsed = hcl.parse(data if data is not None else read_input(Path(source),
                                                                     hcl.MAX_HCL_BYTES))
        return hcl.evaluate_parsed(parsed, self.variables, self.locals, self.files,
                                   data=self.data)[0]

    def neighbours(self, source: str) -> list[dict[str, Any]]:
        """Documents of the folder's other files."""
        key = real(source)
        return [doc for path, doc in self.documents.items() if path != key]


@dataclass
class ModuleState:
    """The module folders of one scan and the ``.tf`` files already read."""

    directories: dict[str, ModuleDir] = field(default_factory=dict)
    read: set[str] = field(default_factory=set)
    """Resolved paths of the files whose resources are in the inventory."""

    def loaded(self, path: str) -> bool:
        """Whether the folder was visited (its files are then read, or will be by the scan)."""
        return real(path) in self.directories

    def directory(self, path: str, root_dir: str, roots: tuple[str, ...],
                  inputs: dict[str, Any]) -> ModuleDir:
        """The folder's module, evaluated with ``inputs`` on its first visit."""
        key = real(path)
        if key not in self.directories:
            self.directories[key] = ModuleDir.load(path, FileAccess(path, root_dir, roots),
                                                   inputs)
        return self.directories[key]


_STATES: dict[int, ModuleState] = {}


def state_for(inventory: Inventory) -> ModuleState:
    """The module state of ``inventory``'s scan, dropped with the inventory."""
    ident = id(inventory)
    if ident not in _STATES:
        _STATES[ident] = ModuleState()
        weakref.finalize(inventory, _STATES.pop, ident, None)
    return _STATES[ident]


@dataclass(frozen=True)
class ModuleCall:
    """A ``module`` block: where its folder is, or why it is not read."""

    label: str
    """``module.app (tf/main.tf)``: how an incomplete entry names it."""
    path: str | None
    """The module's folder as the scan names it, when it can be read."""
    arguments: dict[str, Any]
    problem: str = ""


def calls(doc: dict[str, Any], source: str, roots: tuple[str, ...]) -> list[ModuleCall]:
    """The ``module`` blocks of an evaluated file, with their folders checked."""
    found: list[ModuleCall] = []
    modules = doc.get("module")
    for name, body in (modules.items() if isinstance(modules, dict) else ()):
        if not isinstance(body, dict) or body.get("count") == 0 or body.get("for_each") in (
                {}, []):
            continue    # creates nothing
        label = f"module.{name} ({source})"
        arguments = {k: v for k, v in body.items() if k not in META_ARGUMENTS}
        where = body.get("source")
        if not isinstance(where, str) or isinstance(where, Unknown):
            problem = "its source is not a literal path: not read"
        elif not where.startswith(("./", "../")) and where not in (".", ".."):
            problem = (f"remote module {where} is not read: scan a Terraform plan "
                       "(terraform show -json) to assess what it creates")
        else:
            path = os.path.normpath(os.path.join(os.path.dirname(source), where))
            if not inside(path, roots):
                problem = f"module folder {where} is outside the scanned folders: not read"
            elif not os.path.isdir(path):
                problem = f"module folder {where} does not exist"
            elif not any(Path(path).glob("*.tf")):
                problem = f"module folder {where} holds no .tf file: not read"
            else:
                found.append(ModuleCall(label, path, arguments))
                continue
        found.append(ModuleCall(label, None, arguments, problem))
    return found


def argument(translation: TfTranslation, value: Any) -> Any:
    """A value the caller hands to a module: references to the caller's resources become
    their ids; other references stay unknown but lose their address, which names a resource
    of the caller, not of the module."""
    if isinstance(value, dict):
        return {k: argument(translation, v) for k, v in value.items()}
    if isinstance(value, list):
        return [argument(translation, v) for v in value]
    value = translation.resolve(value)
    if isinstance(value, Unknown) and value.reference is not None:
        return Unknown(value.reason, text=str(value))
    return value
