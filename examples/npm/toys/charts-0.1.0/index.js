// @pinlab-toys/charts 0.1.0: another toy plugin, which needs host >=1.0.0-alpha.28.
const host = require("@pinlab-toys/host");

exports.chartPage = (title) => `${host.renderTitle(title)}\n<!-- charted with host ${host.version} -->`;
