// Draws the dry run's charts (ECharts) from the JSON the page carries in
// <script type="application/json" id="chart-data">: no inline script, as the CSP requires.
// Bar heights are for the eye only; the exact amounts are in the tables beside them.
(function () {
  var holder = document.getElementById('chart-data');
  if (!holder || !window.echarts) {
    return;
  }
  var data = JSON.parse(holder.textContent);
  function draw(id, series) {
    var el = document.getElementById(id);
    if (!el || series.names.length === 0) {
      return;
    }
    var chart = window.echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption({
      tooltip: { trigger: 'axis' },
      legend: { top: 0, data: ['企业数', '金额（元）'] },
      grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: series.names, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: [{ type: 'value', name: '企业数' }, { type: 'value', name: '元' }],
      series: [
        { name: '企业数', type: 'bar', data: series.firms },
        { name: '金额（元）', type: 'bar', yAxisIndex: 1, data: series.amounts.map(Number) }
      ]
    });
    el.setAttribute('data-drawn', 'true');
    window.addEventListener('resize', function () { chart.resize(); });
  }
  draw('chart-district', data.district);
  draw('chart-size', data.size);
})();
