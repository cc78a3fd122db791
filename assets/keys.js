// Keyboard stepping through the backward-pass animation (for a lecture hall).
//   → / ←   next / previous frame       Home / End   first / last frame
//   Space   play from here / pause      Keys typed into the editor are left alone.
(function () {
  const win = window.parent && window.parent.Plotly ? window.parent : window;
  if (win.__graphKeys) return;
  win.__graphKeys = true;
  let playing = false;
  win.document.addEventListener("keydown", function (e) {
    const t = e.target;
    if (t && (t.tagName === "TEXTAREA" || t.tagName === "INPUT" || t.isContentEditable)) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const gd = win.document.querySelector(".js-plotly-plot");
    if (!gd || !win.Plotly || !gd._transitionData) return;
    const names = (gd._transitionData._frames || []).map(function (f) { return f.name; });
    if (!names.length) return;
    const slider = gd._fullLayout.sliders && gd._fullLayout.sliders[0];
    let i = slider ? slider.active : names.length - 1;
    const step = { mode: "immediate", frame: { duration: 0, redraw: false },
                   transition: { duration: 350 } };
    if (e.key === "ArrowRight") i = Math.min(i + 1, names.length - 1);
    else if (e.key === "ArrowLeft") i = Math.max(i - 1, 0);
    else if (e.key === "Home") i = 0;
    else if (e.key === "End") i = names.length - 1;
    else if (e.key === " ") {
      e.preventDefault();
      if (playing) { playing = false; win.Plotly.animate(gd, [null], step); return; }
      const from = i >= names.length - 1 ? 0 : i + 1;
      // the figure's own ▶ Play settings, so that the speed chosen on the page holds here too
      const menu = gd.layout.updatemenus && gd.layout.updatemenus[0];
      const play = (menu && menu.buttons[0].args[1]) ||
                   { frame: { duration: 900, redraw: false }, transition: { duration: 600 } };
      playing = true;
      win.Plotly.animate(gd, names.slice(from), {
        mode: "immediate", frame: play.frame, transition: play.transition })
        .then(function () { playing = false; });
      return;
    } else return;
    e.preventDefault();
    playing = false;
    win.Plotly.animate(gd, [names[i]], step);
  });
})();
