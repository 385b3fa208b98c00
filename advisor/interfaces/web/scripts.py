"""The page's own behaviour in the browser, registered once per page: a new answer is shown from its start (the
question scrolled to the top of the chat, not the answer's end); the message box counts characters near the limit;
the conversation's code is kept in the page's address and the browser's storage, so a reload comes back to it;
and a question sent just before a reload is put back in the box if it got no answer. Runs inside the page;
nothing is fetched from outside the machine."""

from __future__ import annotations

from advisor.chat.service import MAX_MESSAGE_CHARS

PAGE_JS = """
if (!window.__advisorPage) {
  window.__advisorPage = true;
  const LIMIT = __LIMIT__;
  const scroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const y = getComputedStyle(p).overflowY;
      if ((y === 'auto' || y === 'scroll') && p.scrollHeight > p.clientHeight) return p;
    }
    return null;
  };
  // a new question goes to the top of the chat and stays there while its answer arrives, so the answer is read
  // from its first line; the person scrolling (wheel, touch, keys) lets go of it
  let seen = 0, pinned = -1;
  const pin = () => {
    const q = document.querySelectorAll('#adv-chat [data-testid=user]')[pinned];
    const box = q ? scroller(q) : null;
    if (box) box.scrollTop += q.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
  };
  const watch = () => {
    const asked = document.querySelectorAll('#adv-chat [data-testid=user]').length;
    if (asked > seen) pinned = asked - 1;
    else if (asked < seen) pinned = -1;
    seen = asked;
    if (pinned >= 0) pin();
  };
  for (const kind of ['wheel', 'touchstart', 'keydown']) {
    document.addEventListener(kind, (ev) => {
      if (ev.target.closest && ev.target.closest('#adv-chat')) pinned = -1;
    }, {capture: true, passive: true});
  }
  new MutationObserver(watch).observe(document.body, {childList: true, subtree: true, characterData: true});
  // a field's explanation, asked for from the chart or the list, is scrolled into view when it arrives
  document.addEventListener('change', (ev) => {
    if (ev.target.closest && ev.target.closest('#adv-pick')) window.__advisorExplain = Date.now();
  }, true);
  let explained = '';
  new MutationObserver(() => {
    const panel = document.querySelector('#adv-explanation .adv-explain');
    const now = panel ? panel.querySelector('h3').textContent + panel.textContent.length : '';
    if (!panel || now === explained) return;
    explained = now;
    if (window.__advisorExplain && Date.now() - window.__advisorExplain < 15000) {
      window.__advisorExplain = 0;
      panel.scrollIntoView({block: 'start'});
    }
  }).observe(document.body, {childList: true, subtree: true});
  // the chat's collapsed tool line is itself a button: the arrow button inside it (unlabelled) is decoration, so it
  // is taken out of the keyboard order and the accessibility tree; a click on it reaches the line
  new MutationObserver(() => {
    for (const b of document.querySelectorAll('#adv-chat [role=button] button:not([inert])')) {
      b.inert = true;
      b.style.pointerEvents = 'none';
    }
    // the welcome's example starts are buttons in a group, not items of a list
    for (const g of document.querySelectorAll('#adv-chat .examples[role=list]')) {
      g.setAttribute('role', 'group');
      g.setAttribute('aria-label', 'Ways to start');
    }
  }).observe(document.body, {childList: true, subtree: true});
  // a counter under the message box once the message nears the limit
  document.addEventListener('input', (ev) => {
    const box = ev.target.closest ? ev.target.closest('#adv-input textarea') : null;
    const counter = document.querySelector('#adv-count');
    if (!box || !counter) return;
    const n = box.value.trim().length;
    counter.hidden = n < LIMIT * 0.8;
    counter.classList.toggle('adv-over', n > LIMIT);
    const count = (x) => x.toLocaleString('en');
    counter.textContent = `${count(n)} of ${count(LIMIT)} characters`
      + (n > LIMIT ? `: please shorten it by ${count(n - LIMIT)}` : '');
  }, true);
  // the conversation's code: in the address (?c=…) and the browser's storage, so a reload resumes it
  let shown = '';
  const keepCode = () => {
    const el = document.querySelector('#adv-code[data-code]');
    const code = el ? el.dataset.code : '';
    if (!code || code === shown) return;
    shown = code;
    try { localStorage.setItem('advisor-conversation', code); } catch (e) {}
    const url = new URL(location.href);
    url.searchParams.set('c', code);
    history.replaceState(history.state, '', url);
  };
  new MutationObserver(keepCode).observe(document.body, {childList: true, subtree: true});
  // a question in flight is kept for this tab until its answer (or a note about it) arrives
  const pending = (question) => {
    try { if (question && question.trim()) sessionStorage.setItem('advisor-pending', question); } catch (e) {}
  };
  document.addEventListener('click', (ev) => {
    const t = ev.target.closest ? ev.target : null;
    if (!t) return;
    if (t.closest('#adv-send')) pending((document.querySelector('#adv-input textarea') || {}).value);
    const b = t.closest('#adv-chat button.example, #adv-followups button');
    if (b) pending(b.innerText);
  }, true);
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && ev.target.closest && ev.target.closest('#adv-input textarea'))
      pending(ev.target.value);
  }, true);
  new MutationObserver(() => {
    const status = document.querySelector('#adv-status');
    if (!status || !status.innerText) return;
    const restored = document.querySelector('#adv-restored');
    if (restored && !restored.hidden && /^(Thinking|Writing|Answered)/.test(status.innerText)) restored.hidden = true;
    if (status.innerText.startsWith('Answered') || status.querySelector('.adv-note'))
      try { sessionStorage.removeItem('advisor-pending'); } catch (e) {}
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}
""".replace("__LIMIT__", str(MAX_MESSAGE_CHARS))

# Before the page asks for its conversation: the code kept in the address, else in the browser's storage.
SAVED_CODE_JS = """(conv, saved) => {
  let code = new URLSearchParams(location.search).get('c') || '';
  try { code = code || localStorage.getItem('advisor-conversation') || ''; } catch (e) {}
  return [conv, code];
}"""

# After the conversation is back: a question sent just before the reload that got no answer returns to the box.
RESTORE_PENDING_JS = """() => {
  let question = null;
  try { question = sessionStorage.getItem('advisor-pending'); sessionStorage.removeItem('advisor-pending'); }
  catch (e) {}
  if (!question) return;
  const asked = Array.from(document.querySelectorAll('#adv-chat [data-testid=user]'));
  const rows = document.querySelectorAll('#adv-chat .message-row');
  const answered = rows.length && !rows[rows.length - 1].classList.contains('user-row');
  if (answered && asked.length && asked[asked.length - 1].innerText.trim() === question.trim()) return;
  const box = document.querySelector('#adv-input textarea');
  if (!box) return;
  box.value = question;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  const note = document.querySelector('#adv-restored');
  if (note) {
    note.hidden = false;
    note.textContent = 'Your last question had no answer yet when the page reloaded: it is back in the box. '
      + 'Press Enter to send it.';
  }
  box.focus();
}"""

# The code line's "Copy" button.
COPY_JS = """
element.addEventListener('click', async (ev) => {
  const button = ev.target.closest('button[data-copy]');
  if (!button) return;
  const code = button.dataset.copy;
  try { await navigator.clipboard.writeText(code); }
  catch (e) {
    const area = document.createElement('textarea');
    area.value = code; document.body.appendChild(area); area.select();
    document.execCommand('copy'); area.remove();
  }
  button.textContent = 'Copied';
  setTimeout(() => { button.textContent = 'Copy'; }, 2000);
});
"""
