// Every occurrence, while proposing: next to the proposal form's selection, a link to the
// cable's occurrences page for the span now in the start and end fields (opened in a new
// tab, so the form and the selection stay). The fields are filled by review.js or typed;
// this script only reads them, on any change, input or selection change.
(function () {
  'use strict';
  const base = document.getElementById('occurrences-link');
  const start = document.getElementById('propose-start');
  const end = document.getElementById('propose-end');
  const status = document.getElementById('selection-status');
  if (!base || !start || !end || !status) return;
  const link = document.createElement('a');
  link.id = 'selection-occurrences';
  link.target = '_blank';
  link.rel = 'noopener';
  link.hidden = true;
  link.textContent = 'Other occurrences of this text (new tab)';
  const holder = document.createElement('p');
  holder.className = 'hint';
  holder.appendChild(link);
  status.insertAdjacentElement('afterend', holder);
  const target = new URL(base.href, window.location.href);
  target.hash = '';
  function update() {
    const a = start.value.trim();
    const b = end.value.trim();
    const ok = /^\d+$/.test(a) && /^\d+$/.test(b) && Number(a) < Number(b);
    link.hidden = !ok;
    if (ok) {
      target.search = '?start=' + a + '&end=' + b;
      target.hash = 'selection';
      link.href = target.toString();
    }
  }
  let pending = 0;
  function soon() {
    window.clearTimeout(pending);
    pending = window.setTimeout(update, 50);
  }
  ['input', 'change'].forEach(function (kind) {
    start.addEventListener(kind, soon);
    end.addEventListener(kind, soon);
  });
  document.addEventListener('selectionchange', soon);
  document.addEventListener('mouseup', soon);
  document.addEventListener('keyup', soon);
  update();
})();
