/*
 * The supervisor dashboard: one plain script, served as it is (no framework, no build step, nothing
 * fetched from outside the API's own origin). Every string that comes from the API reaches the page
 * through textContent / createTextNode only, never through innerHTML.
 *
 * Data flow: sign in with a bearer token (kept in sessionStorage) -> GET /api/v1/me and /facilities ->
 * open the alert stream (EventSource on /api/v1/alerts/stream?access_token=..., which resumes with
 * Last-Event-ID by itself) and load GET /api/v1/alerts?status=FIRING; both feed one store that keeps the
 * highest revision of each alert, so their order does not matter. The ledger of the current shift and
 * the latest summaries are re-read when alerts change and every 15 s. A `reset` event (the API could
 * not replay the gap since Last-Event-ID) makes the board list the alerts again.
 */
/* global document, sessionStorage, fetch, EventSource, URL, Node, setTimeout, clearTimeout, setInterval, clearInterval */
'use strict';

(function () {
  const TOKEN_KEY = 'hbm.dashboard.token';
  const FACILITY_KEY = 'hbm.dashboard.facility';
  const RESOLVED_KEEP = 8;
  const REFRESH_MS = 15000;
  const ITEMS_SHOWN = 12;
  const ALL_FACILITIES_MAX = 12;
  const PENDING_MS = 15000;

  const KINDS = {
    RECEIPT_OVERDUE: '接收超时',
    FEEDBACK_OVERDUE: '投递反馈超时',
    ORPHAN_CLOSURE: '信息丢失（无交接记录）',
    UNCONSENTED_DELIVERY: '未经同意投柜/自提',
    SHIFT_UNBALANCED: '班次未平衡合拢',
    CONSUMER_LAG: '消费延迟',
  };
  const SEVERITIES = { critical: ['严重', 'Critical'], warning: ['警告', 'Warning'] };
  const ROLES = {
    supervisor: ['班组长', 'supervisor'],
    manager: ['机构经理', 'manager'],
    sre: ['运维', 'SRE'],
    admin: ['管理员', 'admin'],
  };
  const COUNTERS = [
    ['handedOut', '交出', 'Handed out'],
    ['received', '接收', 'Received'],
    ['delivered', '妥投', 'Delivered'],
    ['locker', '包裹柜', 'Locker'],
    ['pickupPoint', '自提点', 'Pickup point'],
    ['returned', '退回', 'Returned'],
    ['open', '未结', 'Open'],
    ['orphans', '信息丢失', 'Orphans'],
    ['duplicates', '重复', 'Duplicates'],
    ['closedLate', '超时闭环', 'Closed late'],
  ];
  const CLASSES = [
    ['EXPRESS', '特快专递', 'Express'],
    ['PARCEL', '包裹', 'Parcel'],
    ['LETTER', '函件', 'Letter'],
  ];
  const CONNECTION = {
    connecting: ['连接中…', 'Connecting…'],
    live: ['实时', 'Live'],
    reconnecting: ['重新连接中…', 'Reconnecting…'],
    offline: ['已断开，稍后重试', 'Offline, retrying'],
  };

  const state = {
    token: null,
    me: null,
    facilities: [],
    facility: '',
    alerts: new Map(),
    loaded: false,
    stream: null,
    streamRetry: 0,
    lastEventId: null,
    resync: false,
    liveDuringList: null,
    timers: [],
    refreshSoon: null,
    busy: new Set(),
    confirming: new Set(),
    pending: new Map(),
    lastGood: new Map(),
    fresh: new Set(),
    errors: new Map(),
    cards: new Map(),
    epoch: 0,
  };

  const $ = (id) => document.getElementById(id);

  // ---- DOM building: text only, attributes set one by one ------------------------------------------

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'testid') el.setAttribute('data-testid', value);
      else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  /** A bilingual label: Chinese, then English in a lighter span. */
  function bi(zh, en) {
    return h('span', { class: 'bi' }, zh, ' ', h('span', { class: 'en', lang: 'en' }, en));
  }

  // ---- formatting ------------------------------------------------------------------------------------

  const formats = new Map();
  function timeFormat(timeZone) {
    const key = timeZone || '';
    if (!formats.has(key)) {
      const options = {
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      };
      let format;
      try {
        format = new Intl.DateTimeFormat('zh-CN', timeZone ? { ...options, timeZone } : options);
      } catch {
        format = new Intl.DateTimeFormat('zh-CN', options);
      }
      formats.set(key, format);
    }
    return formats.get(key);
  }

  function facilityOf(id) {
    return state.facilities.find((f) => f.id === id) || null;
  }

  function fmtTime(iso, facilityId) {
    if (!iso) return '—';
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    const facility = facilityOf(facilityId);
    return timeFormat(facility && facility.timezone).format(date);
  }

  function facilityLabel(id) {
    if (!id) return '—';
    const facility = facilityOf(id);
    return facility && facility.name ? `${id} · ${facility.name}` : id;
  }

  function itemsOf(list) {
    if (!Array.isArray(list)) return [];
    return list.map((x) => (typeof x === 'string' ? x : x && x.itemId ? x.itemId : String(x)));
  }

  function listOf(body) {
    if (Array.isArray(body)) return body;
    if (body && Array.isArray(body.items)) return body.items;
    if (body && Array.isArray(body.alerts)) return body.alerts;
    return [];
  }

  // ---- the API -----------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message || `HTTP ${status}`);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path, options) {
    const method = (options && options.method) || 'GET';
    const token = (options && options.token) || state.token;
    let response;
    try {
      response = await fetch(new URL(path, document.baseURI), {
        method,
        cache: 'no-store',
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      });
    } catch {
      throw new ApiError(0, 'NETWORK', '无法连接服务器 Cannot reach the server');
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      const error = body && body.error ? body.error : {};
      throw new ApiError(response.status, error.code, error.message);
    }
    return body;
  }

  /** Runs an API call of the signed-in board; a 401 ends the session. */
  async function call(path, options) {
    const epoch = state.epoch;
    try {
      return await api(path, options);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && epoch === state.epoch) {
        signOut('令牌已失效，请重新登录。 The token is no longer accepted: sign in again.');
      }
      throw error;
    }
  }

  // ---- sign in / out -----------------------------------------------------------------------------------

  async function signIn(token) {
    const me = await api('api/v1/me', { token });
    state.token = token;
    state.me = me;
    state.epoch++;
    sessionStorage.setItem(TOKEN_KEY, token);
    await startBoard();
  }

  function signOut(message) {
    state.epoch++;
    closeStream();
    for (const timer of state.timers) clearInterval(timer);
    state.timers = [];
    clearTimeout(state.refreshSoon);
    sessionStorage.removeItem(TOKEN_KEY);
    Object.assign(state, {
      token: null,
      me: null,
      facilities: [],
      loaded: false,
      resync: false,
      liveDuringList: null,
      lastEventId: null,
      streamRetry: 0,
    });
    state.alerts.clear();
    state.cards.clear();
    state.busy.clear();
    state.confirming.clear();
    for (const pending of state.pending.values()) clearTimeout(pending.timer);
    state.pending.clear();
    state.lastGood.clear();
    state.fresh.clear();
    state.errors.clear();
    $('firing').replaceChildren();
    $('resolved').replaceChildren();
    $('ledger').replaceChildren();
    $('summaries').replaceChildren();
    $('board').hidden = true;
    document.querySelector('[data-testid="session"]').hidden = true;
    $('signin').hidden = false;
    $('token').value = '';
    const error = document.querySelector('[data-testid="signin-error"]');
    error.textContent = message || '';
    error.hidden = !message;
    $('token').focus();
  }

  async function startBoard() {
    const me = state.me;
    const role = ROLES[me.role] || [me.role, me.role];
    const scope = Array.isArray(me.facilities) ? me.facilities : [];
    $('signin').hidden = true;
    document.querySelector('[data-testid="session"]').hidden = false;
    document
      .querySelector('[data-testid="whoami"]')
      .replaceChildren(
        h('strong', {}, me.name),
        ' · ',
        bi(role[0], role[1]),
        ' · ',
        scope.includes('*') ? bi('全部机构', 'all facilities') : scope.join(', '),
      );
    $('board').hidden = false;

    try {
      state.facilities = listOf(await call('api/v1/facilities'));
    } catch {
      state.facilities = scope.filter((id) => id !== '*').map((id) => ({ id }));
    }
    fillFacilitySelect();
    openStream();
    await loadAlerts();
    refreshPanels();
    state.timers.push(setInterval(refreshPanels, REFRESH_MS));
  }

  function fillFacilitySelect() {
    const select = $('facility');
    const options = [];
    if (state.facilities.length !== 1) options.push(h('option', { value: '' }, '全部 All'));
    for (const f of state.facilities) options.push(h('option', { value: f.id }, facilityLabel(f.id)));
    select.replaceChildren(...options);
    const saved = sessionStorage.getItem(FACILITY_KEY);
    const ids = state.facilities.map((f) => f.id);
    state.facility = state.facilities.length === 1 ? ids[0] : saved && ids.includes(saved) ? saved : '';
    select.value = state.facility;
  }

  // ---- alerts --------------------------------------------------------------------------------------------

  /**
   * Reads the firing and recently resolved alerts. With `replace` (after a stream `reset`) what the
   * board held is dropped for them, but for the changes the stream brought while they were read.
   */
  async function loadAlerts(replace) {
    const epoch = state.epoch;
    const live = [];
    if (replace) state.liveDuringList = live;
    const [firing, resolved] = await Promise.allSettled([
      call('api/v1/alerts?status=FIRING&limit=500'),
      call(`api/v1/alerts?status=RESOLVED&limit=${RESOLVED_KEEP}`),
    ]);
    if (state.liveDuringList === live) state.liveDuringList = null;
    if (epoch !== state.epoch) return;
    if (replace && firing.status === 'fulfilled') {
      state.alerts.clear();
      for (const alert of live) upsert(alert, false);
    }
    if (firing.status === 'fulfilled') for (const alert of listOf(firing.value)) upsert(alert, false);
    if (resolved.status === 'fulfilled') {
      for (const alert of listOf(resolved.value).slice(0, RESOLVED_KEEP)) upsert(alert, false);
    }
    if (replace) for (const id of [...state.cards.keys()]) if (!state.alerts.has(id)) state.cards.delete(id);
    state.loaded = true;
    renderAlerts();
  }

  function isAlert(value) {
    return !!value && typeof value.alertId === 'string' && typeof value.revision === 'number';
  }

  /** Keeps the highest revision of each alert; an acknowledgement may come back at the same revision. */
  function upsert(alert, live) {
    if (!isAlert(alert)) return false;
    const known = state.alerts.get(alert.alertId);
    if (known) {
      if (alert.revision < known.revision) return false;
      if (alert.revision === known.revision && (known.acknowledgedBy || !alert.acknowledgedBy)) return false;
    }
    state.alerts.set(alert.alertId, alert);
    settlePending(alert);
    if (live && alert.status === 'FIRING' && (!known || known.status !== 'FIRING') && visible(alert)) {
      state.fresh.add(alert.alertId);
      announce(alert);
    }
    return true;
  }

  function visible(alert) {
    return !state.facility || alert.facilityId === state.facility;
  }

  function announce(alert) {
    const text = [
      '新告警 New alert:',
      KINDS[alert.kind] || '',
      alert.kind,
      alert.facilityId || '',
      alert.itemCount ? `${alert.itemCount} 件 items` : '',
    ]
      .filter(Boolean)
      .join(' ');
    $('live').textContent = text;
  }

  function onAlertEvent(event) {
    if (event.lastEventId) state.lastEventId = event.lastEventId;
    let alert;
    try {
      alert = JSON.parse(event.data);
    } catch {
      return;
    }
    if (state.liveDuringList && isAlert(alert)) state.liveDuringList.push(alert);
    if (upsert(alert, state.loaded)) {
      renderAlerts();
      scheduleRefresh();
    }
  }

  /**
   * The API did not replay the gap since our Last-Event-ID (too long, or no longer in its log): the
   * stream goes on live from the reset's id, and the board lists the alerts again.
   */
  function onResetEvent(event) {
    if (event.lastEventId) state.lastEventId = event.lastEventId;
    loadAlerts(true)
      .then(() => scheduleRefresh())
      .catch(() => undefined);
  }

  function severityRank(alert) {
    return alert.severity === 'critical' ? 0 : 1;
  }

  function byTimeDesc(field) {
    return (a, b) => String(b[field] || '').localeCompare(String(a[field] || ''));
  }

  function renderAlerts() {
    const all = [...state.alerts.values()].filter(visible);
    const firing = all
      .filter((a) => a.status === 'FIRING')
      .sort((a, b) => severityRank(a) - severityRank(b) || byTimeDesc('updatedAt')(a, b));
    const resolved = all
      .filter((a) => a.status === 'RESOLVED')
      .sort(byTimeDesc('endsAt'))
      .slice(0, RESOLVED_KEEP);

    // forget resolved alerts that fell off the short list, so the store stays small
    const keep = new Set([...firing, ...resolved].map((a) => a.alertId));
    for (const [id, alert] of state.alerts) {
      if (alert.status === 'RESOLVED' && !keep.has(id) && visible(alert)) {
        state.alerts.delete(id);
        state.cards.delete(id);
      }
    }

    reconcile($('firing'), firing.map(cardOf));
    reconcile($('resolved'), resolved.map(cardOf));
    document.querySelector('[data-testid="firing-count"]').textContent = String(firing.length);
    document.querySelector('[data-testid="firing-empty"]').hidden = firing.length > 0 || !state.loaded;
  }

  /** Puts els into container in this order, moving only what is out of place (focus stays put). */
  function reconcile(container, els) {
    els.forEach((el, i) => {
      if (container.children[i] !== el) container.insertBefore(el, container.children[i] || null);
    });
    while (container.children.length > els.length) container.lastElementChild.remove();
  }

  /** A card per alert, rebuilt only when what it shows changed (so focus and open details survive). */
  function cardOf(alert) {
    const id = alert.alertId;
    const key = [
      alert.revision,
      alert.status,
      alert.acknowledgedBy,
      state.busy.has(id),
      state.pending.has(id),
      state.confirming.has(id),
      state.errors.get(id) || '',
    ].join('|');
    const cached = state.cards.get(id);
    if (cached && cached.key === key) return cached.el;
    const el = alert.status === 'FIRING' ? firingCard(alert) : resolvedCard(alert);
    if (!cached) el.setAttribute('data-first-seen', String(Date.now()));
    else el.setAttribute('data-first-seen', cached.el.getAttribute('data-first-seen'));
    if (cached && cached.el.contains(document.activeElement)) {
      const testid = document.activeElement.getAttribute('data-testid');
      setTimeout(() => {
        const again = testid && el.querySelector(`[data-testid="${testid}"]`);
        if (again) again.focus();
      });
    }
    state.cards.set(id, { key, el });
    return el;
  }

  function kindTitle(alert) {
    return h(
      'h3',
      { class: 'kind', testid: 'alert-kind' },
      KINDS[alert.kind] || alert.kind,
      ' ',
      h('span', { class: 'en', lang: 'en' }, alert.kind),
    );
  }

  function handOff(alert) {
    if (alert.from && alert.to) return `${alert.from} → ${alert.to}`;
    if (alert.to) return `→ ${alert.to}`;
    return alert.from || '—';
  }

  function fact(zh, en, testid, value) {
    return [h('dt', {}, bi(zh, en)), h('dd', { testid }, value)];
  }

  function itemList(alert) {
    const items = itemsOf(alert.items);
    if (!items.length) return null;
    const li = (id) => h('li', {}, h('code', {}, id));
    const first = items.slice(0, ITEMS_SHOWN);
    const rest = items.slice(ITEMS_SHOWN);
    const more =
      alert.itemCount > items.length
        ? h(
            'p',
            { class: 'note' },
            `共 ${alert.itemCount} 件，列出 ${items.length} 件 `,
            h('span', { lang: 'en' }, `(${alert.itemCount} in total, ${items.length} listed)`),
          )
        : null;
    return h(
      'div',
      { class: 'items-block' },
      h('ul', { class: 'items', testid: 'alert-items' }, first.map(li)),
      rest.length
        ? h(
            'details',
            {},
            h('summary', {}, `另 ${rest.length} 件 `, h('span', { lang: 'en' }, `${rest.length} more`)),
            h('ul', { class: 'items' }, rest.map(li)),
          )
        : null,
      more,
    );
  }

  function firingCard(alert) {
    const id = alert.alertId;
    const severity = SEVERITIES[alert.severity] || [alert.severity, alert.severity];
    const busy = state.busy.has(id);
    const error = state.errors.get(id);
    const actions = h('div', { class: 'actions' });
    if (!alert.acknowledgedBy) {
      actions.appendChild(
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-primary',
            testid: 'alert-ack-button',
            disabled: busy,
            onclick: () => act(alert, 'ack'),
          },
          '确认 ',
          h('span', { lang: 'en' }, 'Acknowledge'),
        ),
      );
    }
    if (alert.kind === 'UNCONSENTED_DELIVERY') {
      if (state.confirming.has(id)) {
        append(actions, [
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-danger',
              testid: 'alert-resolve-confirm',
              disabled: busy,
              onclick: () => act(alert, 'resolve'),
            },
            '确定解除 ',
            h('span', { lang: 'en' }, 'Confirm resolve'),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-quiet',
              testid: 'alert-resolve-cancel',
              disabled: busy,
              onclick: () => confirmResolve(id, false),
            },
            '取消 ',
            h('span', { lang: 'en' }, 'Cancel'),
          ),
        ]);
      } else {
        actions.appendChild(
          h(
            'button',
            {
              type: 'button',
              class: 'btn',
              testid: 'alert-resolve-button',
              disabled: busy,
              onclick: () => confirmResolve(id, true),
            },
            '解除违规 ',
            h('span', { lang: 'en' }, 'Resolve'),
          ),
        );
      }
    }
    return h(
      'li',
      {
        class: `card card-${alert.severity}${alert.acknowledgedBy ? ' acked' : ''}${state.fresh.has(id) ? ' fresh' : ''}`,
        onanimationend: () => forgetFresh(id),
        testid: 'alert-card',
        'data-alert-id': id,
        'data-kind': alert.kind,
        'data-status': alert.status,
        'data-severity': alert.severity,
        'data-facility-id': alert.facilityId || '',
        'data-revision': alert.revision,
        'aria-label': `${KINDS[alert.kind] || ''} ${alert.kind} ${alert.facilityId || ''}`,
      },
      h(
        'div',
        { class: 'card-head' },
        h(
          'span',
          { class: `sev sev-${alert.severity}`, testid: 'alert-severity' },
          bi(severity[0], severity[1]),
        ),
        kindTitle(alert),
      ),
      h(
        'dl',
        { class: 'facts' },
        fact('机构', 'Facility', 'alert-facility', facilityLabel(alert.facilityId)),
        fact('班次', 'Shift', 'alert-shift', alert.shiftId || '—'),
        fact('交接', 'Hand-off', 'alert-handoff', handOff(alert)),
        fact('邮件数', 'Items', 'alert-item-count', String(alert.itemCount)),
      ),
      itemList(alert),
      h('p', { class: 'text', testid: 'alert-text', lang: 'en' }, alert.text),
      h(
        'p',
        { class: 'times' },
        bi('开始', 'Started'),
        ' ',
        h(
          'time',
          { datetime: alert.startsAt, testid: 'alert-started' },
          fmtTime(alert.startsAt, alert.facilityId),
        ),
        ' · ',
        bi('更新', 'Updated'),
        ' ',
        h(
          'time',
          { datetime: alert.updatedAt, testid: 'alert-updated' },
          fmtTime(alert.updatedAt, alert.facilityId),
        ),
        ` · rev ${alert.revision}`,
      ),
      h(
        'p',
        { class: `ack${alert.acknowledgedBy ? ' ack-done' : ''}`, testid: 'alert-acknowledged-by' },
        alert.acknowledgedBy
          ? [
              '已确认 ',
              h('span', { lang: 'en' }, 'acknowledged by'),
              ' ',
              h('strong', {}, alert.acknowledgedBy),
            ]
          : ['未确认 ', h('span', { lang: 'en' }, 'not acknowledged')],
      ),
      actions,
      state.pending.has(id)
        ? h(
            'p',
            { class: 'note', testid: 'alert-pending' },
            bi('已提交，等待更新…', 'Sent, waiting for the update…'),
          )
        : null,
      error ? h('p', { class: 'error', role: 'alert', testid: 'alert-error' }, error) : null,
    );
  }

  function resolvedCard(alert) {
    return h(
      'li',
      {
        class: 'card card-resolved',
        testid: 'resolved-card',
        'data-alert-id': alert.alertId,
        'data-kind': alert.kind,
        'data-status': alert.status,
        'data-facility-id': alert.facilityId || '',
        'data-revision': alert.revision,
      },
      h(
        'div',
        { class: 'card-head' },
        h('span', { class: 'sev sev-resolved' }, bi('已解除', 'Resolved')),
        kindTitle(alert),
      ),
      h(
        'p',
        { class: 'line' },
        facilityLabel(alert.facilityId),
        alert.shiftId ? ` · ${alert.shiftId}` : '',
        alert.from || alert.to ? ` · ${handOff(alert)}` : '',
      ),
      h(
        'p',
        { class: 'times' },
        bi('解除于', 'Resolved at'),
        ' ',
        h('time', { datetime: alert.endsAt }, fmtTime(alert.endsAt, alert.facilityId)),
        alert.acknowledgedBy ? [' · ', bi('确认人', 'acknowledged by'), ' ', alert.acknowledgedBy] : null,
      ),
    );
  }

  /** New alerts flash once; the mark goes when the flash ends, so a rebuilt card does not flash again. */
  function forgetFresh(id) {
    if (!state.fresh.delete(id)) return;
    const cached = state.cards.get(id);
    if (cached) cached.el.classList.remove('fresh');
  }

  function confirmResolve(id, on) {
    if (on) state.confirming.add(id);
    else state.confirming.delete(id);
    renderAlerts();
  }

  function done(alert, action) {
    return action === 'ack' ? !!alert.acknowledgedBy : alert.status === 'RESOLVED';
  }

  /** The watch publishes the alert's next revision a moment after the API records the action. */
  function settlePending(alert) {
    const pending = state.pending.get(alert.alertId);
    if (!pending || !done(alert, pending.action)) return;
    clearTimeout(pending.timer);
    state.pending.delete(alert.alertId);
    state.busy.delete(alert.alertId);
  }

  async function act(alert, action) {
    const id = alert.alertId;
    const epoch = state.epoch;
    state.busy.add(id);
    state.errors.delete(id);
    renderAlerts();
    let waiting = false;
    try {
      const body = await call(`api/v1/alerts/${encodeURIComponent(id)}/${action}`, { method: 'POST' });
      if (epoch !== state.epoch) return;
      const updated = body && isAlert(body.alert) ? body.alert : body;
      if (upsert(updated, false)) scheduleRefresh();
      const now = state.alerts.get(id);
      if (now && !done(now, action)) {
        waiting = true;
        const timer = setTimeout(() => {
          state.pending.delete(id);
          state.busy.delete(id);
          renderAlerts();
        }, PENDING_MS);
        state.pending.set(id, { action, timer });
      }
    } catch (error) {
      const what = action === 'ack' ? '确认失败 Acknowledge failed' : '解除失败 Resolve failed';
      state.errors.set(id, `${what}: ${error.message}`);
    } finally {
      if (!waiting) state.busy.delete(id);
      state.confirming.delete(id);
      renderAlerts();
    }
  }

  // ---- the live stream -------------------------------------------------------------------------------

  function setConnection(name) {
    const el = document.querySelector('[data-testid="connection-status"]');
    if (el.getAttribute('data-state') === name && el.childNodes.length) return;
    const [zh, en] = CONNECTION[name];
    el.setAttribute('data-state', name);
    el.replaceChildren(h('span', { class: 'dot', 'aria-hidden': 'true' }), bi(zh, en));
  }

  function closeStream() {
    if (state.stream) state.stream.close();
    state.stream = null;
  }

  function openStream() {
    closeStream();
    const epoch = state.epoch;
    const url = new URL('api/v1/alerts/stream', document.baseURI);
    url.searchParams.set('access_token', state.token);
    // a new EventSource starts without the old one's Last-Event-ID: the API takes it as a parameter too
    if (state.lastEventId) url.searchParams.set('lastEventId', state.lastEventId);
    const stream = new EventSource(url);
    state.stream = stream;
    setConnection(state.streamRetry ? 'reconnecting' : 'connecting');
    stream.addEventListener('alert', onAlertEvent);
    stream.addEventListener('reset', onResetEvent);
    stream.onmessage = onAlertEvent;
    stream.onopen = () => {
      state.streamRetry = 0;
      setConnection('live');
      // after a stream was closed for good, read the firing list again in case the gap was trimmed
      if (state.resync) {
        state.resync = false;
        loadAlerts().catch(() => undefined);
      }
    };
    stream.onerror = () => {
      if (epoch !== state.epoch || stream !== state.stream) return;
      if (stream.readyState === EventSource.CONNECTING) {
        // the browser reconnects by itself and sends Last-Event-ID: nothing is missed
        setConnection('reconnecting');
        return;
      }
      // closed for good (an HTTP error): check the token, then start a new stream with backoff
      setConnection('offline');
      state.resync = true;
      closeStream();
      const delay = Math.min(30000, 1000 * 2 ** Math.min(state.streamRetry, 5));
      state.streamRetry++;
      setTimeout(() => {
        if (epoch !== state.epoch) return;
        call('api/v1/me')
          .then(() => epoch === state.epoch && openStream())
          .catch((error) => {
            if (!(error instanceof ApiError && error.status === 401) && epoch === state.epoch) openStream();
          });
      }, delay);
    };
  }

  // ---- ledger and summaries ---------------------------------------------------------------------------

  function scheduleRefresh() {
    clearTimeout(state.refreshSoon);
    state.refreshSoon = setTimeout(refreshPanels, 300);
  }

  function panelFacilities() {
    return state.facility ? [state.facility] : state.facilities.slice(0, ALL_FACILITIES_MAX).map((f) => f.id);
  }

  async function refreshPanels() {
    if (!state.token) return;
    const epoch = state.epoch;
    const ids = panelFacilities();
    const single = !!state.facility;
    const path = (id) => `api/v1/facilities/${encodeURIComponent(id)}`;
    const [ledgers, summaries] = await Promise.all([
      Promise.allSettled(ids.map((id) => call(`${path(id)}/shifts/current`))),
      Promise.allSettled(ids.map((id) => call(`${path(id)}/summaries?limit=${single ? 5 : 1}`))),
    ]);
    if (epoch !== state.epoch || ids.join() !== panelFacilities().join()) return;
    renderLedgers(ids, withLastGood('ledger', ids, ledgers), single);
    renderSummaries(ids, withLastGood(`summaries${single ? 5 : 1}`, ids, summaries));
  }

  /** A failed read shows the last good answer, marked stale, rather than blanking the panel. */
  function withLastGood(what, ids, results) {
    return results.map((result, i) => {
      const key = `${what}|${ids[i]}`;
      if (result.status === 'fulfilled') {
        state.lastGood.set(key, { value: result.value, at: new Date().toISOString() });
        return result;
      }
      const last = state.lastGood.get(key);
      if (!last) return result;
      return {
        status: 'fulfilled',
        value: last.value,
        stale: { at: last.at, message: result.reason.message },
      };
    });
  }

  function staleNote(result, facilityId) {
    if (!result.stale) return null;
    return h(
      'p',
      { class: 'error', testid: 'stale-note', role: 'status' },
      `刷新失败，显示 ${fmtTime(result.stale.at, facilityId)} 的数据 `,
      h(
        'span',
        { lang: 'en' },
        `Could not refresh (${result.stale.message}); showing data from ${fmtTime(result.stale.at, facilityId)}`,
      ),
    );
  }

  function accounted(c) {
    return (
      (c.received || 0) + (c.delivered || 0) + (c.locker || 0) + (c.pickupPoint || 0) + (c.returned || 0)
    );
  }

  function balanceBadge(open, orphans, testid) {
    const ok = !open && !orphans;
    return h(
      'span',
      { class: `badge ${ok ? 'badge-ok' : 'badge-bad'}`, testid, 'data-balanced': String(ok) },
      ok ? bi('平衡', 'Balanced') : bi('未平衡', 'Not balanced'),
    );
  }

  function counterTable(caption, head, rows) {
    return h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('caption', {}, caption),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            head.map(([zh, en]) => h('th', { scope: 'col' }, bi(zh, en))),
          ),
        ),
        h(
          'tbody',
          {},
          rows.map((cells) =>
            h(
              'tr',
              {},
              cells.map((cell, i) => (i === 0 ? h('th', { scope: 'row' }, cell) : h('td', {}, String(cell)))),
            ),
          ),
        ),
      ),
    );
  }

  const TABLE_HEAD = [
    ['', ''],
    ['交出', 'Out'],
    ['已交代', 'Accounted'],
    ['未结', 'Open'],
    ['信息丢失', 'Orphans'],
  ];

  function shiftIdOf(ledger) {
    return ledger.shiftId || (ledger.shift && (ledger.shift.shiftId || ledger.shift.id)) || '';
  }

  function shiftWindow(ledger, facilityId) {
    const start = ledger.start || (ledger.shift && ledger.shift.start);
    const end = ledger.end || (ledger.shift && ledger.shift.end);
    return start && end ? `${fmtTime(start, facilityId)} – ${fmtTime(end, facilityId)}` : '';
  }

  function openItemsOf(ledger) {
    const open = ledger.openItems;
    if (Array.isArray(open)) return { items: itemsOf(open), more: !!ledger.nextCursor };
    if (open && Array.isArray(open.items)) {
      return { items: itemsOf(open.items), more: !!open.nextCursor, count: open.count };
    }
    return { items: [], more: false };
  }

  function ledgerCard(id, result, single) {
    const head = h('h3', {}, facilityLabel(id));
    const card = h(
      'article',
      { class: 'ledger-card', testid: 'ledger-facility', 'data-facility-id': id },
      head,
    );
    if (result.status === 'rejected') {
      card.appendChild(
        h(
          'p',
          { class: 'error', testid: 'ledger-error' },
          `读取失败 Could not load: ${result.reason.message}`,
        ),
      );
      return card;
    }
    const ledger = result.value || {};
    const totals = ledger.totals || {};
    card.setAttribute('data-shift-id', shiftIdOf(ledger));
    append(head, [' ', balanceBadge(totals.open, totals.orphans, 'ledger-balance')]);
    append(card, [staleNote(result, id)]);
    card.appendChild(
      h(
        'p',
        { class: 'line' },
        bi('班次', 'Shift'),
        ' ',
        h('strong', { testid: 'ledger-shift' }, shiftIdOf(ledger) || '—'),
        ' ',
        shiftWindow(ledger, id),
        ledger.closed ? [' · ', bi('已结班', 'closed')] : null,
      ),
    );
    card.appendChild(
      h(
        'div',
        { class: 'tiles', testid: 'ledger-totals' },
        COUNTERS.filter(([key]) => single || ['handedOut', 'open', 'orphans'].includes(key)).map(
          ([key, zh, en]) =>
            h(
              'div',
              {
                class: `tile${(key === 'open' || key === 'orphans') && totals[key] ? ' tile-bad' : ''}`,
                'data-counter': key,
              },
              h('span', { class: 'tile-value', testid: `ledger-${key}` }, String(totals[key] || 0)),
              h('span', { class: 'tile-label' }, bi(zh, en)),
            ),
        ),
      ),
    );
    const unconsented = (ledger.violations && ledger.violations.unconsentedDelivery) || 0;
    if (unconsented) {
      card.appendChild(
        h(
          'p',
          { class: 'violation', testid: 'ledger-violations' },
          bi('未经同意投柜/自提', 'Unconsented deliveries'),
          `: ${unconsented}`,
        ),
      );
    }
    if (!single) return card;

    const byClass = ledger.byClass || {};
    const classRows = CLASSES.filter(([key]) => byClass[key]).map(([key, zh, en]) => {
      const c = byClass[key];
      return [bi(zh, en), c.handedOut || 0, accounted(c), c.open || 0, c.orphans || 0];
    });
    if (classRows.length)
      card.appendChild(counterTable(bi('按邮件种类', 'By mail class'), TABLE_HEAD, classRows));
    const segments = Array.isArray(ledger.bySegment) ? ledger.bySegment : [];
    if (segments.length) {
      const rows = segments.map((s) => [s.to, s.handedOut || 0, accounted(s), s.open || 0, s.orphans || 0]);
      card.appendChild(
        counterTable(
          bi('按下段', 'By downstream segment'),
          [['下段', 'Downstream'], ...TABLE_HEAD.slice(1)],
          rows,
        ),
      );
    }
    const open = openItemsOf(ledger);
    card.appendChild(
      h(
        'div',
        { class: 'open-items' },
        h('h4', {}, bi('未结邮件', 'Open items'), ` (${open.count ?? totals.open ?? 0})`),
        open.items.length
          ? h(
              'ul',
              { class: 'items', testid: 'ledger-open-items' },
              open.items.map((item) => h('li', {}, h('code', {}, item))),
            )
          : h('p', { class: 'empty' }, bi('无', 'None')),
        open.more ? h('p', { class: 'note' }, bi('仅显示第一页', 'First page only')) : null,
      ),
    );
    const orphans = ledger.orphanItems;
    const orphanItems = itemsOf(Array.isArray(orphans) ? orphans : orphans && orphans.items);
    if (orphanItems.length) {
      card.appendChild(
        h(
          'div',
          { class: 'open-items' },
          h(
            'h4',
            {},
            bi('信息丢失（无交接）', 'Orphaned closures'),
            ` (${totals.orphans || orphanItems.length})`,
          ),
          h(
            'ul',
            { class: 'items', testid: 'ledger-orphan-items' },
            orphanItems.map((item) => h('li', {}, h('code', {}, item))),
          ),
        ),
      );
    }
    return card;
  }

  function renderLedgers(ids, results, single) {
    const panel = $('ledger');
    panel.removeAttribute('aria-busy');
    if (!ids.length) {
      panel.replaceChildren(h('p', { class: 'empty' }, bi('没有可查看的机构', 'No facilities in scope')));
      return;
    }
    const cards = ids.map((id, i) => ledgerCard(id, results[i], single));
    const stamp = h(
      'p',
      { class: 'note', testid: 'ledger-updated' },
      bi('更新于', 'Updated'),
      ' ',
      fmtTime(new Date().toISOString(), ids[0]),
    );
    const more =
      !single && state.facilities.length > ids.length
        ? h('p', { class: 'note' }, bi('选择机构查看更多', 'Choose a facility to see the others'))
        : null;
    panel.replaceChildren(...cards, more || '', stamp);
  }

  function summaryRow(summary) {
    const t = summary.totals || {};
    const unconsented = (summary.violations && summary.violations.unconsentedDelivery) || 0;
    const openItems = itemsOf(summary.openItems);
    return h(
      'li',
      {
        class: `summary ${summary.balanced ? 'summary-ok' : 'summary-bad'}`,
        testid: 'summary-row',
        'data-facility-id': summary.facilityId,
        'data-shift-id': summary.shiftId,
        'data-balanced': String(!!summary.balanced),
      },
      h(
        'div',
        { class: 'summary-head' },
        h(
          'span',
          { class: `badge ${summary.balanced ? 'badge-ok' : 'badge-bad'}`, testid: 'summary-balanced' },
          summary.balanced ? bi('平衡', 'Balanced') : bi('未平衡', 'Not balanced'),
        ),
        ' ',
        h('strong', {}, summary.shiftId),
        ' ',
        h(
          'span',
          { class: 'muted' },
          `${fmtTime(summary.start, summary.facilityId)} – ${fmtTime(summary.end, summary.facilityId)} · rev ${summary.revision}`,
        ),
      ),
      h(
        'p',
        { class: 'line' },
        COUNTERS.filter(([key]) => ['handedOut', 'delivered', 'open', 'orphans'].includes(key)).map(
          ([key, zh, en], i) => [i ? ' · ' : '', bi(zh, en), ' ', h('strong', {}, String(t[key] || 0))],
        ),
        unconsented
          ? [' · ', bi('未经同意', 'Unconsented'), ' ', h('strong', {}, String(unconsented))]
          : null,
      ),
      openItems.length
        ? h(
            'details',
            {},
            h('summary', {}, bi('未结邮件', 'Open items'), ` (${openItems.length})`),
            h(
              'ul',
              { class: 'items' },
              openItems.map((item) => h('li', {}, h('code', {}, item))),
            ),
          )
        : null,
    );
  }

  function renderSummaries(ids, results) {
    const panel = $('summaries');
    const groups = ids.map((id, i) => {
      const result = results[i];
      const group = h(
        'section',
        { class: 'summary-group', testid: 'summaries-facility', 'data-facility-id': id },
        h('h3', {}, facilityLabel(id)),
      );
      if (result.status === 'rejected') {
        group.appendChild(h('p', { class: 'error' }, `读取失败 Could not load: ${result.reason.message}`));
        return group;
      }
      const items = listOf(result.value);
      append(group, [staleNote(result, id)]);
      group.appendChild(
        items.length
          ? h('ol', { class: 'summary-list' }, items.map(summaryRow))
          : h('p', { class: 'empty' }, bi('尚无已结班次', 'No closed shift yet')),
      );
      return group;
    });
    panel.replaceChildren(...groups);
  }

  // ---- wiring ------------------------------------------------------------------------------------------

  function init() {
    $('signin-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const token = $('token').value.trim();
      const error = document.querySelector('[data-testid="signin-error"]');
      const button = document.querySelector('[data-testid="signin-button"]');
      if (!token) return;
      button.disabled = true;
      error.hidden = true;
      try {
        await signIn(token);
      } catch (e) {
        error.textContent =
          e instanceof ApiError && (e.status === 401 || e.status === 403)
            ? '令牌无效。 The token was not accepted.'
            : `登录失败 Sign-in failed: ${e.message}`;
        error.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
    $('signout').addEventListener('click', () => signOut());
    $('facility').addEventListener('change', (event) => {
      state.facility = event.target.value;
      sessionStorage.setItem(FACILITY_KEY, state.facility);
      state.cards.clear();
      renderAlerts();
      $('ledger').replaceChildren();
      $('summaries').replaceChildren();
      refreshPanels();
    });

    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) {
      api('api/v1/me', { token: saved })
        .then((me) => {
          state.token = saved;
          state.me = me;
          state.epoch++;
          return startBoard();
        })
        .catch((error) =>
          signOut(
            error instanceof ApiError && error.status === 401
              ? undefined
              : `登录失败 Sign-in failed: ${error.message}`,
          ),
        );
    } else {
      $('token').focus();
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
