// 活体检测 at the kiosk, the signing desk and the rights desk: the random head movements the
// server asked for (a liveness challenge), one prompt at a time, each with its own progress bar
// and time limit, while frames are taken from the page's live camera and tagged with the step
// they were taken under and the moment they were taken. Frames stay in memory and go only to
// the decision the challenge serves; nothing here is stored.
//
// keyuan.liveness.run(panel, video, steps, grab) → { frames, frame_times_ms, frame_steps }
//   panel: an element the prompts are drawn into (announced to screen readers as they change)
//   video: the <video> the camera plays in; grab(): one frame of it as a data: URL (camera.js)
//   rejects with { error: "challenge_timed_out" } when the camera gives no picture in time.
// keyuan.liveness.words(err) → the words for a refused liveness check, or "" when err is not one.
"use strict";
keyuan.liveness = (() => {
  const t = keyuan.t;
  const LEAD_MS = 900;            // "look at the camera" before the first movement
  const STEP_MS = 2600;           // each movement: its own time limit, the bar fills over it
  const SHOTS_AT = [120, 1400, 2450];  // within a step: before moving, on the way, there
  const MORE_AT = 0.45;           // past this share of a step: "a little further"
  const WAIT_FOR_PICTURE_MS = 3000;
  const PROMPTS = { turn_left: "challenge.step_turn_left", turn_right: "challenge.step_turn_right",
                    look_up: "challenge.step_look_up", look_down: "challenge.step_look_down" };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function draw(panel, steps) {
    panel.replaceChildren();
    panel.hidden = false;
    panel.classList.add("liveness");
    const prompt = document.createElement("p");
    prompt.className = "liveness-prompt";
    prompt.setAttribute("role", "status");
    prompt.setAttribute("aria-live", "assertive");
    prompt.setAttribute("aria-atomic", "true");
    const list = document.createElement("ol");
    list.className = "liveness-steps";
    const bars = steps.map((step, i) => {
      const item = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = t(PROMPTS[step] || "challenge.step_look_ahead");
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", t("challenge.step_progress", { n: i + 1 }));
      item.append(label, bar);
      list.append(item);
      return bar;
    });
    const hint = document.createElement("p");
    hint.className = "liveness-hint";
    const memory = document.createElement("p");
    memory.className = "hint";
    memory.textContent = t("challenge.memory_only");
    panel.append(prompt, list, hint, memory);
    return { prompt, bars, hint };
  }

  function say(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  async function picture(video) {
    const until = Date.now() + WAIT_FOR_PICTURE_MS;
    while (!video.videoWidth) {
      if (Date.now() > until) throw { error: "challenge_timed_out", status: 0 };
      await sleep(50);
    }
  }

  async function run(panel, video, steps, grab) {
    const ui = draw(panel, steps);
    const frames = [], times = [], tags = [];
    const shoot = async (step) => {
      await picture(video);
      const shot = keyuan.camera.timed(grab);
      frames.push(shot.image);
      times.push(shot.t);
      tags.push(step);
    };
    say(ui.prompt, t("challenge.step_look_ahead"));
    await sleep(LEAD_MS);
    await shoot(null);  // the lead-in: facing the camera, before any movement
    for (let i = 0; i < steps.length; i += 1) {
      const words = t(PROMPTS[steps[i]] || "challenge.step_look_ahead");
      say(ui.prompt, t("challenge.step_of", { n: i + 1, total: steps.length, prompt: words }));
      say(ui.hint, "");
      const started = performance.now();
      const fill = setInterval(() => {
        const share = Math.min(1, (performance.now() - started) / STEP_MS);
        ui.bars[i].value = Math.round(share * 100);
        say(ui.hint, share >= MORE_AT && share < 1 ? t("challenge.more") : "");
      }, 100);
      try {
        for (const at of SHOTS_AT) {
          const wait = started + at - performance.now();
          if (wait > 0) await sleep(wait);
          await shoot(i);
        }
        const rest = started + STEP_MS - performance.now();
        if (rest > 0) await sleep(rest);
      } finally {
        clearInterval(fill);
      }
      ui.bars[i].value = 100;
    }
    say(ui.hint, "");
    say(ui.prompt, t("challenge.done"));
    return { frames, frame_times_ms: times, frame_steps: tags };
  }

  // A refusal by the liveness check (not_live, with its reason) or of the challenge itself
  // (used, expired, elsewhere, ...) in words; "" for any other error.
  function words(err) {
    const code = (err && err.error) || "";
    if (code === "not_live") {
      const key = "liveness." + (err.reason || (err.details && err.details.reason) || "");
      const text = t(key);
      return t("challenge.not_live", { reason: text === key ? t("challenge.not_live_generic")
                                                            : text });
    }
    if (code.startsWith("challenge_")) {
      const key = "challenge.err_" + code;
      const text = t(key);
      return text === key ? t("challenge.err_generic") : text;
    }
    return "";
  }

  return { run, words, STEP_MS, LEAD_MS };
})();
