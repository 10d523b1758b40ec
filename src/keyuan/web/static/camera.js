// Frames from the page's live camera, each with the moment it was taken: the kiosk, the signing
// desk, the rights desk and the liveness challenge (liveness.js) all take them here. A frame is
// drawn onto a canvas that is never attached nor saved and leaves it as a JPEG data: URL, in
// memory only, for the one request it goes with; the server's liveness check reads how the
// frames of a sequence are spread in time (performance.now(), whole ms).
//
// keyuan.camera.grab(video, quality) → the <video>'s current picture as a JPEG data: URL
// keyuan.camera.timed(grab) → { image, t }: grab() and the moment it was taken
// keyuan.camera.shots(grab, n, gapMs) → { frames, frame_times_ms }: n frames gapMs apart
"use strict";
keyuan.camera = (() => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function grab(video, quality) {
    const canvas = document.createElement("canvas");  // never attached, never saved
    canvas.width = video.videoWidth || 640;
    canvas.height = video.videoHeight || 480;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL("image/jpeg", quality);
  }

  function timed(grabFrame) {
    const t = Math.round(performance.now());  // the picture of this moment is drawn next
    return { image: grabFrame(), t };
  }

  // A few frames a moment apart (where no challenge is asked): the page waits gapMs after each.
  async function shots(grabFrame, n, gapMs) {
    const frames = [], times = [];
    for (let i = 0; i < n; i += 1) {
      const shot = timed(grabFrame);
      frames.push(shot.image);
      times.push(shot.t);
      await sleep(gapMs);
    }
    return { frames, frame_times_ms: times };
  }

  return { grab, timed, shots };
})();
