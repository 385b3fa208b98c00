"""The page's own behaviour in the browser, registered once per page: a new answer is shown from its start (the
question scrolled to the top of the chat, not the answer's end), and the message box counts characters near
the limit. Runs inside the page; nothing is fetched from outside the machine."""

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
}
""".replace("__LIMIT__", str(MAX_MESSAGE_CHARS))
