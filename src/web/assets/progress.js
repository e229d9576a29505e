// Keeps a background job's progress bar current: asks the page's progress URL every
// second and reloads the page once the job has finished (or failed), when the page shows
// its outcome. No inline script, as the CSP requires.
(function () {
  var bar = document.getElementById('job-progress');
  if (!bar) {
    return;
  }
  var url = bar.getAttribute('data-progress-url');
  var text = document.getElementById('job-progress-text');
  function tick() {
    fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        bar.max = Math.max(p.total, 1);
        bar.value = Math.min(p.done, bar.max);
        bar.textContent = p.done + ' / ' + p.total;
        text.textContent = '已计算 ' + p.done + ' / ' + p.total + ' 家企业';
        if (p.state === 'done' || p.state === 'failed') {
          window.location.reload();
        } else {
          setTimeout(tick, 1000);
        }
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 500);
})();
