// Coding by selection: turns a text selection in #source-text into code-point positions
// (as REFI-QDA counts them) and fills the coding form. Without this script the form still
// works: the words typed into "The words to code" are found in the source on the server.
(function () {
  'use strict';
  var box = document.getElementById('source-text');
  var form = document.getElementById('coding-form');
  if (!box || !form) { return; }
  var startField = document.getElementById('start');
  var endField = document.getElementById('end');
  var quote = document.getElementById('quote');

  function codePoints(s) { return Array.from(s).length; }

  // The code-point position of (node, offset) inside the source text.
  function position(node, offset) {
    var el = node.nodeType === Node.TEXT_NODE ? node.parentNode : node;
    if (el === box) {
      // A boundary between pieces: offset counts child nodes.
      var child = box.childNodes[offset];
      if (child && child.dataset) { return parseInt(child.dataset.start, 10); }
      return parseInt(box.dataset.length, 10);
    }
    while (el && el.parentNode !== box) { el = el.parentNode; }
    if (!el || !el.dataset || el.dataset.start === undefined) { return null; }
    var base = parseInt(el.dataset.start, 10);
    if (node.nodeType !== Node.TEXT_NODE) { return offset === 0 ? base : base + codePoints(el.textContent); }
    return base + codePoints(node.data.slice(0, offset));
  }

  function update() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { return; }
    var range = sel.getRangeAt(0);
    if (!box.contains(range.startContainer) || !box.contains(range.endContainer)) { return; }
    var a = position(range.startContainer, range.startOffset);
    var b = position(range.endContainer, range.endOffset);
    if (a === null || b === null || a === b) { return; }
    if (a > b) { var t = a; a = b; b = t; }
    startField.value = a;
    endField.value = b;
    quote.value = range.toString();
  }

  box.addEventListener('mouseup', update);
  box.addEventListener('keyup', update);
  // Typing in the words field means the person is choosing by words, not by selection.
  quote.addEventListener('input', function () { startField.value = ''; endField.value = ''; });
})();
