/// The dashboard's page: plain HTML and a little JavaScript that redraws on every server-sent event.
let dashboardPage = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>MarketStream gateway</title>
    <style>
    body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
    table { border-collapse: collapse; margin-bottom: 1.5em; }
    th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
    th { background: #f3f3f3; }
    .topics { font-family: monospace; font-size: 12px; max-width: 40em; }
    #state { color: #666; }
    </style>
    </head>
    <body>
    <h1>MarketStream gateway <span id="gateway"></span></h1>
    <p id="state">connecting…</p>
    <h2>Venue channels</h2>
    <table id="channels"><thead><tr><th>channel</th><th>state</th><th>mode</th><th>generation</th>
    <th>messages/s</th><th>reconnects</th><th>drops</th><th>upstream</th></tr></thead><tbody></tbody></table>
    <h2>Remote processes</h2>
    <table id="processes"><thead><tr><th>process</th><th>topics</th><th>lease age</th><th>expires in</th>
    <th>renewals</th><th>delivered</th><th>dropped</th><th>gaps</th><th>demand</th></tr></thead><tbody></tbody></table>
    <p><a href="/metrics">Prometheus metrics</a> · <a href="/status.json">status.json</a></p>
    <script>
    function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; }
    function draw(s) {
      document.getElementById("gateway").textContent = s.gateway + " (epoch " + s.epoch + ")";
      document.getElementById("state").textContent =
        "health " + s.health + " · " + s.publishedFrames + " frames published · update " + s.sequence;
      const channels = document.querySelector("#channels tbody");
      channels.innerHTML = "";
      for (const c of s.channels) {
        const row = channels.insertRow();
        row.dataset.channel = c.channel;
        cell(row, c.channel); cell(row, c.state); cell(row, c.mode); cell(row, c.generation);
        cell(row, c.messagesPerSecond.toFixed(0)); cell(row, c.reconnects); cell(row, c.droppedEvents);
        cell(row, c.upstreamTopics + ": " + c.upstream.join(" "), "topics");
      }
      const processes = document.querySelector("#processes tbody");
      processes.innerHTML = "";
      for (const p of s.processes) {
        const row = processes.insertRow();
        row.dataset.process = p.id;
        cell(row, p.id); cell(row, p.topics); cell(row, p.leaseAgeSeconds.toFixed(1) + " s");
        cell(row, p.expiresInSeconds.toFixed(1) + " s"); cell(row, p.renewals);
        cell(row, p.delivered ?? "–", "delivered"); cell(row, p.dropped ?? "–"); cell(row, p.gaps ?? "–");
        cell(row, p.demand.join(" "), "topics");
      }
    }
    const events = new EventSource("/events");
    events.onmessage = (e) => draw(JSON.parse(e.data));
    events.onerror = () => { document.getElementById("state").textContent = "reconnecting…"; };
    </script>
    </body>
    </html>
    """#
