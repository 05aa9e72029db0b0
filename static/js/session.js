// The guided session's follow-along timer: holds, repetitions and sets, rests between
// them, pause and resume; a beep or a buzz at each change where the browser allows it,
// and the screen kept awake (Wake Lock API) while it runs. Without JavaScript the page
// works as it is: the timer stays hidden.
(function () {
  "use strict";
  var root = document.getElementById("timer");
  if (!root) return;

  function num(name) {
    var value = parseInt(root.dataset[name], 10);
    return value > 0 ? value : 0;
  }
  function label(name, values) {
    var text = root.dataset["label" + name] || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.replace("%(" + key + ")s", values[key]);
    });
    return text;
  }
  var part = {};
  root.querySelectorAll("[data-timer]").forEach(function (el) {
    part[el.dataset.timer] = el;
  });

  // The plan: a list of phases, each timed (hold, rest) or waiting for a tap (ready, reps).
  var sets = num("sets") || 1;
  var reps = num("reps") || 1;
  var hold = num("hold");
  var rest = num("rest");
  var phases = [];
  for (var s = 1; s <= sets; s++) {
    if (hold) {
      for (var r = 1; r <= reps; r++) {
        phases.push({ kind: "hold", seconds: hold, set: s, rep: r });
        if (r < reps) {
          // A rest applies between repetitions only when there is a single set.
          phases.push(rest && sets === 1 ? { kind: "rest", seconds: rest, set: s } : { kind: "ready", set: s });
        }
      }
    } else {
      phases.push({ kind: "reps", count: reps, set: s });
    }
    if (s < sets) phases.push(rest ? { kind: "rest", seconds: rest, set: s + 1 } : { kind: "ready", set: s + 1 });
  }

  var index = -1;
  var remaining = 0; // milliseconds left in a timed phase
  var lastTick = 0;
  var running = false;
  var ticker = null;
  var audio = null;
  var wakeLock = null;

  function signal() {
    try {
      if (audio) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.frequency.value = 880;
        gain.gain.value = 0.2;
        osc.connect(gain).connect(audio.destination);
        osc.start();
        osc.stop(audio.currentTime + 0.25);
      }
    } catch (e) { /* no sound: the screen still shows the change */ }
    if (navigator.vibrate) navigator.vibrate(200);
  }
  function keepAwake(on) {
    if (!("wakeLock" in navigator)) return;
    if (on && !wakeLock) {
      navigator.wakeLock.request("screen").then(function (lock) {
        wakeLock = lock;
        lock.addEventListener("release", function () { wakeLock = null; });
      }).catch(function () { /* not allowed: the timer still runs */ });
    } else if (!on && wakeLock) {
      wakeLock.release();
      wakeLock = null;
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && running) keepAwake(true);
  });

  function clock(ms) {
    var total = Math.ceil(ms / 1000);
    var m = Math.floor(total / 60);
    var sec = total % 60;
    return m + ":" + (sec < 10 ? "0" : "") + sec;
  }
  function announce(text) {
    part.announce.textContent = text;
  }
  function render() {
    var phase = phases[index];
    if (!phase) return;
    part.set.textContent = sets > 1 ? label("Set", { n: phase.set, total: sets }) : "";
    var text;
    if (phase.kind === "hold") {
      text = label("Hold") + (reps > 1 ? " · " + label("Rep", { n: phase.rep, total: reps }) : "");
    } else if (phase.kind === "rest") {
      text = label("Rest");
    } else if (phase.kind === "reps") {
      text = label("DoReps", { count: phase.count });
    } else {
      text = label("Ready");
    }
    part.phase.textContent = text;
    part.clock.textContent = phase.seconds ? clock(remaining) : "";
    var timed = !!phase.seconds;
    part.main.hidden = timed;
    part.pause.hidden = !timed;
    part.pause.textContent = running ? label("Pause") : label("Resume");
    if (!timed) part.main.textContent = phase.kind === "reps" ? label("SetDone") : label("Next");
  }
  function stopTicking() {
    running = false;
    if (ticker) clearInterval(ticker);
    ticker = null;
    keepAwake(false);
  }
  function startTicking() {
    running = true;
    lastTick = Date.now();
    if (!ticker) ticker = setInterval(tick, 200);
    keepAwake(true);
  }
  function enter(next) {
    index = next;
    var phase = phases[index];
    if (!phase) return finish();
    announce(phase.kind === "rest" ? label("Rest") : phase.kind === "hold" ? label("Hold") : label("Ready"));
    if (phase.seconds) {
      remaining = phase.seconds * 1000;
      startTicking();
    } else {
      stopTicking();
    }
    render();
  }
  function tick() {
    var now = Date.now();
    remaining -= now - lastTick;
    lastTick = now;
    if (remaining <= 0) {
      signal();
      enter(index + 1);
    } else {
      render();
    }
  }
  function finish() {
    stopTicking();
    index = phases.length;
    part.phase.textContent = label("Finished");
    part.clock.textContent = "";
    part.set.textContent = "";
    part.main.hidden = true;
    part.pause.hidden = true;
    announce(label("Finished"));
    root.dataset.finished = "1";
    var done = document.getElementById("session-done");
    if (done) done.focus();
  }

  part.main.addEventListener("click", function () {
    if (!audio && (window.AudioContext || window.webkitAudioContext)) {
      try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audio = null; }
    }
    if (index >= 0) signal();
    enter(index + 1);
  });
  part.pause.addEventListener("click", function () {
    if (running) {
      stopTicking();
    } else {
      startTicking();
    }
    render();
  });
  part.main.textContent = label("Start");
  root.hidden = false;
})();
