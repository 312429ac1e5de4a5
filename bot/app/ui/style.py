"""Look of the page: theme, CSS, and the small script that makes citation markers clickable."""

from __future__ import annotations

import gradio as gr

# System fonts only: the page must not fetch web fonts (it runs offline on staff machines).
FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "sans-serif"]


def theme() -> gr.themes.Base:
    return gr.themes.Soft(
        primary_hue="blue", neutral_hue="slate", font=FONTS, font_mono=["Noto Sans Mono CJK SC", "monospace"]
    )


CSS = """
#bot-header h1 { margin: 0; font-size: 1.5rem; }
#bot-mode { text-align: right; }
.bot-badge { display: inline-block; padding: 2px 10px; border-radius: 999px; background: #e0ecff;
             color: #1d4ed8; font-size: 0.9rem; }
.bot-empty { color: #64748b; font-size: 0.9rem; padding: 8px 4px; }
.bot-sources { display: flex; flex-direction: column; gap: 8px; }
.bot-src-head { font-weight: 600; color: #334155; }
.bot-src { border: 1px solid #e2e8f0; border-radius: 8px; padding: 8px 10px; cursor: pointer;
           background: #fff; }
.bot-src:hover, .bot-src.bot-selected { border-color: #3b82f6; background: #f0f6ff; }
.bot-num { color: #1d4ed8; font-weight: 600; }
.bot-src-title { font-weight: 600; color: #0f172a; }
.bot-src-sec { color: #475569; font-size: 0.85rem; }
.bot-quote { margin: 6px 0; padding-left: 8px; border-left: 3px solid #93c5fd; color: #334155;
             font-size: 0.9rem; }
.bot-open { font-size: 0.8rem; color: #1d4ed8; background: none; border: none; padding: 0; cursor: pointer; }
.bot-context { display: flex; flex-direction: column; gap: 6px; }
.bot-ctx-head { font-weight: 600; }
.bot-ctx-side { color: #64748b; white-space: pre-wrap; font-size: 0.9rem; }
.bot-ctx-main { white-space: pre-wrap; border-left: 3px solid #3b82f6; padding-left: 8px; }
.bot-ctx-main mark, .bot-hit mark { background: #fde68a; color: #1f2937; padding: 0 1px; }
.bot-note { color: #b45309; font-size: 0.85rem; }
.bot-caveat { font-size: 0.875rem; line-height: 1.5; color: #78350f; background: #fffbeb;
              border-left: 3px solid #f59e0b; padding: 2px 8px; margin: 2px 0; border-radius: 4px; }
.bot-hits { display: flex; flex-direction: column; gap: 8px; }
.bot-hit { border-bottom: 1px solid #e2e8f0; padding-bottom: 6px; }
.bot-section-text { white-space: pre-wrap; max-height: 520px; overflow-y: auto; }
#chat-status, #calc-msg, #table-info { min-height: 1.5em; }
.bot-progress { display: flex; align-items: center; gap: 12px; }
.bot-bar { flex: 1; height: 10px; background: #e2e8f0; border-radius: 999px; overflow: hidden; }
.bot-bar > div { height: 100%; background: #3b82f6; transition: width 0.2s; }
.bot-figures { display: flex; flex-wrap: wrap; gap: 10px; }
.bot-fig { border: 1px solid #e2e8f0; border-radius: 8px; padding: 8px 12px; min-width: 120px;
           background: #fff; }
.bot-fig span { display: block; color: #475569; font-size: 0.85rem; }
.bot-fig b { display: block; font-size: 1.35rem; color: #0f172a; }
.bot-fig small { color: #64748b; }
.bot-fig-meta { color: #64748b; font-size: 0.85rem; margin-top: 6px; }
.bot-table { border-collapse: collapse; width: 100%; margin: 6px 0; font-size: 0.9rem; }
.bot-table th, .bot-table td { border: 1px solid #e2e8f0; padding: 4px 8px; text-align: left;
                               vertical-align: top; }
.bot-table th { background: #f1f5f9; }
.bot-worse { color: #b91c1c; font-weight: 600; }
.bot-worse-row td { background: #fef2f2; }

.bot-fold { display: none; }
.bot-close { display: none; }

/* Phone: a compact header, the input on the first screen (and kept at the bottom), sources folded under
   each answer, and the passage as a sheet over the bottom of the screen. */
@media (max-width: 640px) {
  #bot-title p { display: none; }
  #bot-header h1 { font-size: 1.15rem; }
  #bot-header { gap: 4px; }
  #chatbot { height: max(240px, calc(100dvh - 330px)) !important; }
  #chat-input { position: sticky; bottom: 0; z-index: 20; background: var(--body-background-fill);
                padding: 6px 0; }
  .bot-fold { display: block; margin-top: 4px; }
  #chat-tools { flex-wrap: nowrap; gap: 6px; }
  #history-pick [data-testid="block-info"] { display: none; }
  #history-pick { min-width: 0 !important; flex: 1 1 0 !important; }
  #export { min-width: 92px !important; flex: 0 0 auto !important; font-size: 0.85rem; padding: 4px 8px; }
  .bot-fold summary { cursor: pointer; color: #1d4ed8; }
  #context:has(.bot-context:not(.bot-closed)) { position: fixed; left: 0; right: 0; bottom: 0; z-index: 60;
      margin: 0; padding: 8px 12px; background: var(--body-background-fill); border-top: 2px solid #3b82f6;
      box-shadow: 0 -4px 16px rgba(0, 0, 0, 0.25); }
  #context:has(.bot-context:not(.bot-closed)) .html-container { max-height: 55vh !important; }
  .bot-close { display: inline-block; align-self: flex-end; position: sticky; top: 0; z-index: 1;
               font-size: 0.9rem; padding: 2px 12px;
               border: 1px solid #94a3b8; border-radius: 6px; background: var(--body-background-fill);
               color: inherit; }
}

/* Dark mode (Gradio puts .dark on <body> when the OS asks for it): every colour above has a pair here,
   so no text is left light on light or dark on dark. One selector per rule: Gradio's CSS scoping moves
   only the first ".dark" of a rule. */
.dark .bot-badge { background: #1e3a8a; color: #dbeafe; }
.dark .bot-empty { color: #94a3b8; }
.dark .bot-src-head { color: #cbd5e1; }
.dark .bot-src { background: #1e293b; border-color: #334155; color: #e2e8f0; }
.dark .bot-src:hover { background: #172554; border-color: #60a5fa; }
.dark .bot-src.bot-selected { background: #172554; border-color: #60a5fa; }
.dark .bot-src-title { color: #f1f5f9; }
.dark .bot-num { color: #93c5fd; }
.dark .bot-open { color: #93c5fd; }
.dark .bot-src-sec { color: #a5b4c8; }
.dark .bot-quote { color: #cbd5e1; border-left-color: #3b82f6; }
.dark .bot-ctx-side { color: #a5b4c8; }
.dark .bot-ctx-main { color: #e2e8f0; }
.dark .bot-ctx-main mark { background: #fde68a; color: #1f2937; }
.dark .bot-hit mark { background: #fde68a; color: #1f2937; }
.dark .bot-note { color: #fbbf24; }
.dark .bot-caveat { background: #422006; color: #fde68a; border-left-color: #f59e0b; }
.dark .bot-hit { border-bottom-color: #334155; }
.dark .bot-fig { background: #1e293b; border-color: #334155; }
.dark .bot-fig span { color: #a5b4c8; }
.dark .bot-fig b { color: #f1f5f9; }
.dark .bot-fig small { color: #a5b4c8; }
.dark .bot-fig-meta { color: #a5b4c8; }
.dark .bot-bar { background: #334155; }
.dark .bot-table th { background: #1e293b; color: #e2e8f0; border-color: #334155; }
.dark .bot-table td { border-color: #334155; }
.dark .bot-worse { color: #fca5a5; }
.dark .bot-worse-row td { background: #450a0a; }
"""

# Runs once when the sources panel mounts. Clicks on a source card, or on a [n] marker in the chat
# (a link to #ref-<kind>-<turn>-<n>), fire the panel's click event with the reference.
SOURCES_JS = """
window.__botRefTrigger = trigger;
element.addEventListener('click', (e) => {
  const t = e.target.closest('[data-ref]');
  if (t) { e.preventDefault(); window.__botRefTrigger('click', {ref: t.dataset.ref}); }
});
if (!window.__botRefHook) {
  window.__botRefHook = true;
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[href*="#ref-"]');
    if (!a) return;
    e.preventDefault(); e.stopPropagation();
    const ref = a.getAttribute('href').split('#ref-')[1];
    window.__botRefTrigger('click', {ref: ref});
  }, true);
}
"""

# Runs once when the passage panel mounts: after each update, bring the highlighted quote into view.
CONTEXT_JS = """
watch('value', () => {
  const m = element.querySelector('mark');
  if (!m) return;
  // Scroll the panel itself (its scroll box), never the page: the reader keeps their place in the chat.
  let box = m.parentElement;
  while (box && box !== document.body && !(box.scrollHeight > box.clientHeight + 1 &&
         ['auto', 'scroll'].includes(getComputedStyle(box).overflowY))) box = box.parentElement;
  if (!box || box === document.body) return;
  const off = m.getBoundingClientRect().top - box.getBoundingClientRect().top;
  box.scrollTop += off - Math.max(0, (box.clientHeight - m.offsetHeight) / 2);
});
element.addEventListener('click', (e) => {
  if (!e.target.closest('.bot-close')) return;
  const c = element.querySelector('.bot-context');
  if (c) c.classList.add('bot-closed');
});
"""

# Runs once on page load: screen-reader labels and tooltips that Gradio's bundle writes in English (not
# covered by its translations) are rewritten in Chinese as they appear.
LABELS_JS = """
() => {
  const exact = {
    'More tabs': '更多标签页', 'chatbot conversation': '对话记录', 'Copy table data': '复制表格数据',
    'Copied to clipboard': '已复制', 'Fullscreen': '全屏', 'Exit fullscreen': '退出全屏',
    'Table actions': '表格操作', 'Open cell menu': '打开单元格菜单', 'File upload': '上传文件',
    'Gradio footer navigation': '页脚导航', 'logo': '标志', 'Stop Recording': '停止录制',
    'Vega visualization': '图表', 'Scroll down': '滚动到底部', 'Loading': '加载中',
  };
  const prefix = [["user's message: ", '用户消息：'], ["bot's message: ", '助手消息：']];
  // A message's label is its Markdown source: read it without tags, link targets and escapes.
  const plain = (t) => t.replace(/<[^>]*>/g, ' ').replace(/\\]\\(#ref-[^)]*\\)/g, ']')
    .replace(/\\\\/g, '').replace(/\\s+/g, ' ').trim();
  const fix = (el) => {
    for (const a of ['aria-label', 'title', 'alt']) {
      const v = el.getAttribute && el.getAttribute(a);
      if (!v) continue;
      let w = exact[v];
      if (w === undefined) for (const [p, q] of prefix) if (v.startsWith(p)) w = q + plain(v.slice(p.length));
      const axis = w === undefined && v.match(/^([XY])-axis titled '([^']*)'/);
      if (axis) w = (axis[1] === 'X' ? '横轴：' : '纵轴：') + axis[2];
      if (w !== undefined && w !== v) el.setAttribute(a, w);
    }
  };
  // The progress line of a running event ("processing | 0.4s", "queue: 2/5 |").
  const fixText = (t) => {
    const v = t.nodeValue;
    if (v && /processing \\||queue: /.test(v)) {
      t.nodeValue = v.replace('processing |', '处理中 |').replace('queue: ', '排队：');
    }
  };
  const sweep = (root) => {
    if (root.nodeType === 3) { fixText(root); return; }
    if (root.nodeType !== 1) return;
    fix(root);
    root.querySelectorAll('[aria-label],[title],[alt]').forEach(fix);
    const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (w.nextNode()) fixText(w.currentNode);
  };
  sweep(document.body);
  new MutationObserver((muts) => {
    for (const m of muts) {
      if (m.type === 'attributes') fix(m.target);
      else if (m.type === 'characterData') fixText(m.target);
      else m.addedNodes.forEach(sweep);
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true,
                             attributeFilter: ['aria-label', 'title', 'alt']});
}
"""

# Runs once when the 语料 tab's hit list mounts: 查看原文 on a hit fires the list's click with its index.
HITS_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('[data-hit]');
  if (b) { e.preventDefault(); trigger('click', {hit: b.dataset.hit}); }
});
"""
