#!/usr/bin/env python3
# Writes the seed corpora in tests/fuzz/corpus/<target>/ from the unit tests' inputs, the bundled
# plugins' manifests and the recorded traces (argument: the shared/protocol folder). Run it again
# after a format changes; files are named by content, so unchanged seeds stay as they are.
#   python3 tests/fuzz/make_seeds.py ../shared/protocol
import json, os, re, struct, sys, hashlib
W = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
C = W + '/tests/fuzz/corpus'
P = sys.argv[1] if len(sys.argv) > 1 else os.path.join(W, '..', 'shared', 'protocol')
def put(target, data):
    if isinstance(data, str): data = data.encode()
    d = os.path.join(C, target); os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    open(os.path.join(d, name), 'wb').write(data)
def raw_strings(path):
    s = open(path).read()
    return [m.group(1) for m in re.finditer(r'R"\((.*?)\)"', s, re.S)]
def cstrings(path, call):
    s = open(path).read()
    out = []
    for m in re.finditer(re.escape(call) + r'\("((?:[^"\\]|\\.)*)"', s):
        out.append(bytes(m.group(1), 'utf-8').decode('unicode_escape'))
    return out

# config: the unit tests' config texts
for t in raw_strings(W + '/tests/unit/test_config.cpp'):
    if t.lstrip().startswith(('{', '/', '[')): put('config', t)
put('config', '// comment\n{ "gateway": { "port": 18789, "bind": "loopback", "auth": { "token": "t-main" }, }, "browser": { "enabled": true, "profiles": { "work": { "cdpPort": 18800, "color": "#f00" } } }, "plugins": { "load": { "paths": ["/opt/p"] }, "entries": { "canvas": { "enabled": false } } }, "canvasHost": { "port": 18793, "root": "~/canvas" }, "ports": { "assigned": { "irc": 19000 } } }\n')
put('config', '')
put('config', '[1,2]')
# manifest
for t in raw_strings(W + '/tests/unit/test_plugins.cpp'):
    if t.lstrip().startswith('{'): put('manifest', t)
for root, _, files in os.walk(W + '/plugins'):
    for f in files:
        if f == 'openclaw.plugin.json': put('manifest', open(os.path.join(root, f)).read())
# irc
for t in cstrings(W + '/tests/unit/test_channels.cpp', 'irc::parse'):
    put('irc_line', t)
for t in [':srv 001 bot :Welcome', ':srv CAP * ACK :sasl message-tags', 'AUTHENTICATE +', ':srv 903 bot :SASL ok',
          '@time=2026-01-01T00:00:00.000Z;msgid=x\\sy :a!b@c PRIVMSG #ops :\x01ACTION waves\x01', 'ERROR :Closing link',
          '#ops\thello\nworld with a long line ' + 'x' * 600, 'bot\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80' * 40]:
    put('irc_line', t)
# range: 8 bytes of size, then the header
for size, h in [(10, 'bytes=2-5'), (10, 'bytes=7-'), (10, 'bytes=-3'), (10, 'bytes=5-100'), (10, 'bytes=10-'),
                (10, 'bytes=1-2,4-5'), (10, 'items=1-2'), (10, 'bytes=5-2'), (0, 'bytes=0-'), (1 << 40, 'bytes=0-18446744073709551615'),
                (4095, 'bytes = 1 - 2'), (7, 'bytes=-0')]:
    put('range', struct.pack('<Q', size) + h.encode())
# canvas paths
for p in ['/', '/index.html', '/sub', '/sub/', '/sub/deeper/a%20b.txt', '/../secret', '/%2e%2e/secret', '/%252e%252e/x',
          '/leak', '/leakdir/', '/passwd', '/alias.html', '/sub/..%2fsecret', '/a\\b', '/%00', '/%zz', '', '/app.js', '//sub//deeper/']:
    put('canvas_path', p)
# snapshot: the unit test's page shape, and the trace's recorded snapshot trees turned into CDP nodes
def node(i, role, name, kids, backend, parent=None, props=None):
    o = {'nodeId': str(i), 'ignored': False, 'role': {'type': 'role', 'value': role},
         'name': {'type': 'computedString', 'value': name}, 'childIds': [str(k) for k in kids], 'backendDOMNodeId': backend}
    if parent is not None: o['parentId'] = str(parent)
    if props: o['properties'] = props
    return o
put('snapshot', json.dumps([node(1, 'RootWebArea', 'Test', [2], 1), node(2, 'generic', '', [3, 5, 7], 2, 1),
    node(3, 'heading', 'Title', [4], 3, 2, [{'name': 'level', 'value': {'type': 'integer', 'value': 1}}]),
    node(4, 'StaticText', 'Title', [], 4, 3), node(5, 'button', 'Go', [6], 5, 2, [{'name': 'focused', 'value': {'type': 'boolean', 'value': True}}]),
    node(6, 'StaticText', 'Go', [], 6, 5), node(7, 'textbox', 'Name', [], 7, 2)]))
n = 0
for line in open(P + '/openclaw-2026.9.6-browser-more.trace'):
    if '"nodes":[' not in line or not line.startswith('S>C'): continue
    frame = json.loads(line.split(' ', 3)[3])
    flat = frame.get('payload', {}).get('nodes')
    if not flat or len(flat) > 200: continue
    stack, nodes = [], []
    for i, f in enumerate(flat, 1):
        d = f.get('depth', 0)
        while stack and stack[-1][0] >= d: stack.pop()
        parent = stack[-1][1] if stack else None
        nodes.append(node(i, f.get('role', ''), f.get('name', ''), [], f.get('backendDOMNodeId', 0), parent))
        if parent is not None: nodes[parent - 1]['childIds'].append(str(i))
        stack.append((d, i))
    put('snapshot', json.dumps({'nodes': nodes}))
    n += 1
    if n >= 12: break
# protocol: each recorded connection's client frames, one per line
for trace in ['openclaw-2026.9.6-cli-health.trace', 'openclaw-2026.9.6-browser.trace', 'openclaw-2026.9.6-browser-more.trace']:
    conns, cur = [], []
    for line in open(os.path.join(P, trace)):
        if line.startswith('C>S'):
            parts = line.rstrip('\n').split(' ', 3)
            frame = parts[3] if parts[1][0].isdigit() else line.rstrip('\n')[4:]
            if frame.startswith('#'): frame = frame.split(' ', 1)[1]
            if frame.startswith('{'): cur.append(frame)
        elif (line.startswith('---') or line.startswith('HTTP upgrade')) and cur:
            conns.append(cur); cur = []
    if cur: conns.append(cur)
    seen = set()
    for c in conns:
        methods = tuple(json.loads(f).get('method', '') if f.startswith('{') else '' for f in c)
        if methods in seen or sum(map(len, c)) > 8000: continue
        seen.add(methods)
        put('protocol', '\n'.join(c) + '\n')
        if len(seen) >= 10: break
hello = '{"type":"req","id":"1","method":"connect","params":{"minProtocol":4,"maxProtocol":4,"auth":{"token":"t-main"},"client":{"id":"webchat","mode":"webchat"},"scopes":["operator.read"]}}'
for rest in ['{"type":"req","id":"2","method":"health"}', '{"type":"req","id":"2","method":"plugin.later"}\n{"type":"req","id":3,"method":"plugin.echo","params":{"a":1}}',
             '{"type":"req","id":"2","method":"fails","params":{}}\n{"type":"req","id":"3","method":"throws"}\n{"type":"req","id":"4","method":"status"}',
             '{"type":"req","id":"2","method":"connect","params":{}}\n{"type":"req","id":"","method":"x"}\nnot json\n[]\n{"type":"req","id":"5","method":"nope"}']:
    put('protocol', hello + '\n' + rest + '\n')
put('protocol', '{"type":"req","id":"1","method":"connect","params":{"minProtocol":5,"maxProtocol":6}}\n')
# lease records: the format the store writes
for t in ['1234 98765 18789 ~ /home/u/.openclaw 2 gateway 18789 127.0.0.1 offset 1767225600000 browser 18791 127.0.0.1 offset 1767225600000\n',
          '1 2 3 main /home/u/.openclaw-main 0\n4 5 6 ~ %2Fstate%20dir 1 x 1 % range 0\n',
          '1 2 3 ~ a 0 \n', '1 2 3 ~ a%zz 0\n', '-1 2 3 ~ % 1 a 65536 b c -5\n', 'garbage\n\n\n1 2 3 ~ a 1 n 1 b s\n']:
    put('lease_record', t)
# telegram: getUpdates answers as the Bot API sends them
tg = {'ok': True, 'result': [{'update_id': 100, 'message': {'message_id': 1, 'date': 1767225600, 'text': '/status',
      'from': {'id': 42, 'username': 'owner', 'is_bot': False}, 'chat': {'id': 42, 'type': 'private'}}},
      {'update_id': 101, 'message': {'text': 'hi all', 'from': {'id': 43}, 'chat': {'id': -1001, 'type': 'supergroup'}}},
      {'update_id': 102, 'edited_message': {'text': 'x'}}]}
put('telegram_update', json.dumps(tg))
put('telegram_update', '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}')
put('telegram_update', '{"ok":true,"result":{"id":1,"is_bot":true,"username":"rescue_bot"}}')
put('telegram_update', '{"ok":true,"result":[{"update_id":9223372036854775807,"message":{"text":"x","from":{"id":1},"chat":{"id":1},"date":9223372036854775807}}]}')
put('telegram_update', '<html>502 Bad Gateway</html>')
# webhook: secret, timestamp, signature, now, body
import hmac
def sig(secret, ts, body): return 'sha256=' + hmac.new(secret.encode(), (ts + '.' + body).encode(), 'sha256').hexdigest()
for secret, ts, now, body in [('s3cret-webhook', '1767225600', '1767225600', '{"text":"hello","from":"ci"}'),
                              ('k', '1767225500', '1767225600', '{}'), ('k', '+1767225600', '1767225600', ''), ('k', ' 1767225600', '1767225600', 'x')]:
    put('webhook_signature', '\n'.join([secret, ts, sig(secret, ts.strip().lstrip('+'), body), now, body]))
put('webhook_signature', 'k\n1767225600\nsha256=00\n1767225600\nbody')
put('webhook_signature', 'k\n99999999999999\nsha256=00\n1767225600\nbody')
# http_server: one connection's bytes
import base64
ws_key = 'dGhlIHNhbXBsZSBub25jZQ=='
def frame(text, opcode=1):
    b = text.encode(); mask = b'\x01\x02\x03\x04'
    head = bytes([0x80 | opcode]) + (bytes([0x80 | len(b)]) if len(b) < 126 else bytes([0x80 | 126]) + len(b).to_bytes(2, 'big'))
    return head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(b))
upgrade = ('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
           'Sec-WebSocket-Key: ' + ws_key + '\r\nSec-WebSocket-Version: 13\r\n\r\n').encode()
for t in ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /a?q=%41b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
          'POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /2 HTTP/1.1\r\n\r\n',
          'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n',
          'POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc',
          'PUT /x HTTP/1.0\r\nContent-Length: 99999999999999999999\r\n\r\n', 'GET / HTTP/2.0\r\n\r\n', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
          'POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'GET /\x00 HTTP/1.1\r\n\r\n', 'HEAD / HTTP/1.1\n\n']:
    put('http_server', t)
put('http_server', upgrade + frame('hi') + frame('close'))
put('http_server', upgrade + frame('x' * 300) + frame('', 9) + bytes([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]))
put('http_server', upgrade.replace(b'13', b'8'))
put('http_server', upgrade.replace(b'Sec-WebSocket-Key: ' + ws_key.encode() + b'\r\n', b''))
for line in open(P + '/openclaw-2026.9.6-browser.trace'):
    if line.startswith('C>S') and 'HTTP GET' in line:
        parts = line.rstrip('\n').split(' | ')
        head = parts[0].split('HTTP ', 1)[1]
        put('http_server', (head + '\r\n' + '\r\n'.join(parts[1:]) + '\r\n\r\n').encode() + frame('{"type":"req","id":"1","method":"connect"}'))
        break
