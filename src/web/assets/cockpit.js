// Draws the cockpit's charts (ECharts), each from its JSON endpoint
// /api/v1/cockpit/<name>?<filters>. No inline script, as the CSP requires. Bar heights are
// for the eye only (amounts become numbers here); the exact figures are in the tables.
(function () {
  var root = document.getElementById('cockpit');
  if (!root || !window.echarts || !window.fetch) {
    return;
  }
  var query = root.getAttribute('data-query');
  var yuan = function (text) { return Number(text); };
  var hours = function (secs) { return Math.round(secs / 36) / 100; };
  var phaseSecs = function (run, phase) {
    var ms = run.phases_ms && run.phases_ms[phase];
    return typeof ms === 'number' ? ms / 1000 : 0;
  };
  var sizeNames = { large: '大型', medium: '中型', small: '小型', micro: '微型', '': '未知' };
  var channelNames = { inbox: '站内信', webhook: 'Webhook', email: '电子邮件', sms: '短信' };

  function bars(categories, series, yNames) {
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0, type: 'scroll' },
      grid: { left: 8, right: 8, top: 56, bottom: 8, containLabel: true },
      xAxis: {
        type: 'category', data: categories,
        // Long names (policy titles) are cut to fit; the table has them in full.
        axisLabel: { interval: 0, rotate: categories.length > 2 ? 30 : 0, width: 110, overflow: 'truncate' }
      },
      yAxis: (yNames || ['']).map(function (n) { return { type: 'value', name: n }; }),
      series: series
    };
  }

  var options = {
    'policies': function (d) {
      var rows = d.rows;
      return bars(rows.map(function (r) { return r.title; }), [
        { name: '应拨金额（元）', type: 'bar', data: rows.map(function (r) { return yuan(r.amount); }) },
        { name: '已拨付（元）', type: 'bar', data: rows.map(function (r) { return yuan(r.paid); }) },
        { name: '预算（元）', type: 'bar', data: rows.map(function (r) { return r.budget === null ? 0 : yuan(r.budget); }) }
      ], ['元']);
    },
    'funnel': function (d) {
      return {
        tooltip: { trigger: 'item', formatter: '{b}：{c} 笔' },
        series: [{
          name: '补贴笔数', type: 'funnel', sort: 'none', left: '10%', width: '80%', top: 8, bottom: 8,
          label: { show: true, position: 'inside', formatter: '{b} {c}' },
          data: d.rows.map(function (s) { return { name: s.label, value: s.grants }; })
        }]
      };
    },
    'time-to-cash': function (d) {
      var rows = d.rows;
      return bars(rows.map(function (r) { return r.policy_id; }), [
        { name: '中位数（小时）', type: 'bar', data: rows.map(function (r) { return hours(r.median_secs); }) },
        { name: '第 90 百分位（小时）', type: 'bar', data: rows.map(function (r) { return hours(r.p90_secs); }) }
      ], ['小时']);
    },
    'notices': function (d) {
      var rows = d.rows;
      var stack = function (name, key) {
        return { name: name, type: 'bar', stack: 'all', data: rows.map(function (r) { return r[key]; }) };
      };
      return bars(rows.map(function (r) { return channelNames[r.channel] || r.channel; }), [
        stack('已送达', 'delivered'), stack('待发送', 'queued'), stack('重试中', 'failing'), stack('失败', 'dead')
      ], ['条']);
    },
    'quarantine': function (d) {
      var nights = [];
      var sources = [];
      d.rows.forEach(function (r) {
        if (nights.indexOf(r.night) < 0) { nights.push(r.night); }
        if (sources.indexOf(r.source) < 0) { sources.push(r.source); }
      });
      nights.reverse();
      return bars(nights, sources.map(function (s) {
        return {
          name: s, type: 'bar', stack: 'all',
          data: nights.map(function (n) {
            var hit = d.rows.filter(function (r) { return r.night === n && r.source === s; })[0];
            return hit ? hit.records : 0;
          })
        };
      }), ['条']);
    },
    'nightly': function (d) {
      var runs = d.runs.slice().reverse();
      var phase = function (name, key) {
        return { name: name, type: 'bar', stack: 'all', data: runs.map(function (r) { return phaseSecs(r, key); }) };
      };
      return bars(runs.map(function (r) { return r.started_at.slice(5, 16).replace('T', ' ') + ' UTC'; }), [
        phase('导入（秒）', 'ingest'), phase('匹配（秒）', 'matching'), phase('公示（秒）', 'publicity')
      ], ['秒']);
    },
    'districts': function (d) { return slices(d.rows, function (k) { return k || '未知'; }); },
    'sizes': function (d) { return slices(d.rows, function (k) { return sizeNames[k] || k; }); }
  };

  function slices(rows, name) {
    return bars(rows.map(function (r) { return name(r.key); }), [
      { name: '应拨金额（元）', type: 'bar', data: rows.map(function (r) { return yuan(r.amount); }) },
      { name: '已拨付（元）', type: 'bar', data: rows.map(function (r) { return yuan(r.paid); }) }
    ], ['元']);
  }

  Array.prototype.forEach.call(document.querySelectorAll('[data-chart]'), function (el) {
    var name = el.getAttribute('data-chart');
    var build = options[name];
    if (!build) {
      return;
    }
    fetch('/api/v1/cockpit/' + name + (query ? '?' + query : ''), { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        var chart = window.echarts.init(el, null, { renderer: 'canvas' });
        chart.setOption(build(data));
        el.setAttribute('data-drawn', 'true');
        window.addEventListener('resize', function () { chart.resize(); });
      })
      .catch(function () {
        el.textContent = '图表加载失败，请查看下方表格。';
        el.setAttribute('data-drawn', 'failed');
      });
  });
})();
