"""Sync the slash commands only when they changed: a hash of the payload kept in the store.

Discord rate-limits command uploads and takes a while to show global
changes, so syncing at every start is wasteful. The payload (as discord.py
would send it, translations included) is hashed per application and target
(global or one guild); a start with the same hash skips the upload.
``crampbot run discord --sync`` forces it. With several shard processes, only
the one running shard 0 syncs; the others leave it to that one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands

from dialogs import ConversationStore

log = logging.getLogger(__name__)


async def payload_hash(tree: app_commands.CommandTree[Any], guild: discord.Object | None) -> str:
    """The SHA-256 of the commands ``tree`` would sync to ``guild`` (``None``: globally)."""
    commands = tree.get_commands(guild=guild)
    translator = tree.translator
    if translator is not None:
        payload = [await c.get_translated_payload(tree, translator) for c in commands]
    else:
        payload = [c.to_dict(tree) for c in commands]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def sync_if_changed(
    tree: app_commands.CommandTree[Any],
    store: ConversationStore,
    guild: discord.Object | None,
    *,
    force: bool = False,
    shards: Sequence[int] = (0,),
) -> list[app_commands.AppCommand] | None:
    """Sync when the commands differ from the last sync (or ``force``); ``None`` when skipped.

    Only a process whose ``shards`` include shard 0 syncs, so a bot spread over
    processes syncs once. The hash is saved only after Discord accepted the
    commands. Logs what it did.
    """
    where = f"to guild {guild.id}" if guild is not None else "globally"
    if 0 not in shards:
        log.info("slash commands are synced by the process running shard 0; not synced here")
        return None
    target = f"guild {guild.id}" if guild is not None else "global"
    name = f"discord_commands:{tree.client.application_id}:{target}"
    digest = await payload_hash(tree, guild)
    if not force and await store.get_meta(name) == digest:
        log.info("slash commands unchanged; not synced %s (--sync forces it)", where)
        return None
    synced = await tree.sync(guild=guild)
    await store.set_meta(name, digest)
    log.info("synced %d slash commands %s", len(synced), where)
    return synced
