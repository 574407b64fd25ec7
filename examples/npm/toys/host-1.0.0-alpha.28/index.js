// @pinlab-toys/host 1.0.0-alpha.28: a toy host application that plugins build on (think Datasette).
exports.version = "1.0.0-alpha.28";

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" })[c]);

// The fix for TOYSEC-2026-1: the text is escaped before it goes into HTML.
exports.renderTitle = (text) => `<h1>${escape(text)}</h1>`;
