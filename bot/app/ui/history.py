"""Conversations kept per browser (Gradio's BrowserState, encrypted in the browser's localStorage): the
list of past conversations, restoring one, and exporting one as Markdown."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

MAX_CONVERSATIONS = 20  # oldest dropped first; localStorage holds a few MB
STORAGE_KEY = "shuzihua-conversations"
SECRET_FILE = "ui_browser_secret.txt"
_UNESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+!|~])")


def browser_secret(data_dir: Path) -> str:
    """The key the browser's stored conversations are encrypted with; kept in the data folder so a
    restarted server can still read them (a new random one when the folder cannot be written)."""
    path = Path(data_dir) / SECRET_FILE
    try:
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(24)
        path.write_text(key, encoding="utf-8")
        return key
    except OSError:
        return secrets.token_urlsafe(24)


def md_unescape(text: str) -> str:
    """Undo render.md_escape (a question shown in the chat back to what was typed)."""
    return _UNESCAPE.sub(r"\1", text).replace("&lt;", "<").replace("&gt;", ">")


def message_text(content: Any) -> str:
    """A chat message's text: Gradio hands messages back with content as a string, a {"text": …} part or
    a list of such parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "")
    if isinstance(content, list):
        return "".join(message_text(part) for part in content)
    return ""


def slim(answer: dict) -> dict:
    """What a stored turn needs: the question and answer (for follow-ups), citations and related passages
    (for the sources panel), caveats and note; tool rows are left out (they can be large)."""
    keep = ("question", "answer", "answerable", "citations", "related", "caveats", "note", "mode")
    return {k: answer[k] for k in keep if k in answer}


def title_of(answers: list[dict]) -> str:
    q = " ".join(str(answers[0].get("question", "")).split()) if answers else ""
    return (q[:24] + "…") if len(q) > 24 else (q or "（空对话）")


def upsert(
    history: list[dict] | None, conv_id: str, messages: list[dict], answers: list[dict]
) -> tuple[list[dict], str]:
    """The history with this conversation saved (newest first); returns (history, conversation id)."""
    history = [h for h in (history or []) if isinstance(h, dict)]
    conv_id = conv_id or uuid.uuid4().hex[:12]
    entry = {
        "id": conv_id,
        "title": title_of(answers),
        "updated": time.time(),
        "messages": messages,
        "answers": [slim(a) for a in answers],
    }
    rest = [h for h in history if h.get("id") != conv_id]
    return [entry, *rest][:MAX_CONVERSATIONS], conv_id


def choices(history: list[dict] | None) -> list[tuple[str, str]]:
    """(label, id) pairs for the picker: title, number of questions and when."""
    out = []
    for h in history or []:
        when = time.strftime("%m-%d %H:%M", time.localtime(float(h.get("updated", 0))))
        out.append((f"{h.get('title', '')}（{len(h.get('answers') or [])} 问 · {when}）", str(h.get("id"))))
    return out


def find(history: list[dict] | None, conv_id: str) -> dict | None:
    return next((h for h in history or [] if h.get("id") == conv_id), None)


def to_markdown(answers: list[dict]) -> str:
    """The conversation as Markdown: each question, its answer, notes and numbered sources."""
    lines = [f"# 对话记录：{title_of(answers)}", "", f"导出时间：{time.strftime('%Y-%m-%d %H:%M')}", ""]
    for i, a in enumerate(answers, 1):
        lines += [f"## 问题 {i}：{a.get('question', '')}", "", str(a.get("answer", "")).strip(), ""]
        for c in a.get("caveats") or []:
            lines.append(f"> 注意：{c}")
        if a.get("note"):
            lines.append(f"> 注意：{a['note']}")
        cites = a.get("citations") or []
        if cites:
            lines += ["", "来源："]
            for n, c in enumerate(cites, 1):
                where = " › ".join(
                    x for x in (c.get("section", ""), f"第 {c['line']} 行" if c.get("line") else "") if x
                )
                quote = " ".join(str(c.get("row") or c.get("quote", "")).split())
                lines.append(f"{n}. 《{c.get('title', '')}》{(' ' + where) if where else ''}：{quote}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def export_file(answers: list[dict], folder: Path, conv_id: str) -> str | None:
    """Write the conversation's Markdown into `folder`; its path (None when there is nothing yet)."""
    if not answers:
        return None
    path = Path(folder) / f"对话_{conv_id or 'current'}.md"
    path.write_text(to_markdown(answers), encoding="utf-8")
    return str(path)
