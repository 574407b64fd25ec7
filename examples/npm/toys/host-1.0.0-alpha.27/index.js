// @pinlab-toys/host 1.0.0-alpha.27: a toy host application that plugins build on (think Datasette).
exports.version = "1.0.0-alpha.27";

// The vulnerability of this alpha: the text is not escaped, so a title such as
// "<script>...</script>" runs in the reader's browser (fixed in 1.0.0-alpha.28).
exports.renderTitle = (text) => `<h1>${text}</h1>`;
