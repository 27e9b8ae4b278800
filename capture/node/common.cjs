// The conversation (from the harness, CAPTURE_CONVERSATION) and the tool, for the Node agents.
"use strict";

const settings = JSON.parse(process.env.CAPTURE_CONVERSATION);

function getWeather(city) {
  return settings.weather[city] ?? JSON.stringify({ city, error: "unknown city" });
}

function printReplies(replies) {
  process.stdout.write(JSON.stringify({ replies }) + "\n");
}

module.exports = {
  settings,
  getWeather,
  printReplies,
  sessionId: process.env.CAPTURE_SESSION_ID || null,
};
