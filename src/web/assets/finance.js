// Draws the finance workspace's budget chart (ECharts) from the JSON the page carries in
// <script type="application/json" id="budget-data">: no inline script, as the CSP requires.
// Bar lengths are for the eye only; the exact amounts are in the table below the chart.
(function () {
  var holder = document.getElementById('budget-data');
  var el = document.getElementById('chart-budget');
  if (!holder || !el || !window.echarts) {
    return;
  }
  var data = JSON.parse(holder.textContent);
  if (data.names.length === 0) {
    return;
  }
  var chart = window.echarts.init(el, null, { renderer: 'canvas' });
  function bar(name, values) {
    return { name: name, type: 'bar', stack: 'budget', data: values.map(Number) };
  }
  chart.setOption({
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0, data: ['已拨付', '已预留', '可用'] },
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: 'value', name: '元' },
    yAxis: { type: 'category', data: data.names },
    series: [bar('已拨付', data.spent), bar('已预留', data.reserved), bar('可用', data.available)]
  });
  el.setAttribute('data-drawn', 'true');
  window.addEventListener('resize', function () { chart.resize(); });
})();
