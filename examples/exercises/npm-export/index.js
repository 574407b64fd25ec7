// @pinlab-toys/export 0.3.0-alpha.2: the plugin's next release, written and tested with host 1.0.0-alpha.27.
const host = require("@pinlab-toys/host");

// The page title is typed by a user into the export form: it goes through the host's renderTitle().
exports.exportPage = (title) => `${host.renderTitle(title)}\n<!-- exported with host ${host.version} -->`;
