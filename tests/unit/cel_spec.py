#!/usr/bin/env python3
# cel-spec's tests/simple/testdata/*.textproto (github.com/google/cel-spec)
# to rows for tests/unit/cel_spec.h: { "file/section/test", expr, want },
# want being the expected value written as a CEL expression ("@error",
# "@nan"). Cases that need bindings, a container, protobuf messages or a NUL
# in the text are left out, named on stderr. The table keeps the rows the
# CEL module passes; tests/README.md ("CEL conformance") lists the rest.
# usage: tests/unit/cel_spec.py FILE.textproto... > rows
import re, sys, json, math
def tokenize(s):
    toks=[]; i=0
    while i < len(s):
        c=s[i]
        if c in ' \t\r\n': i+=1; continue
        if c=='#':
            while i<len(s) and s[i]!='\n': i+=1
            continue
        if c in '{}:[],<>': toks.append(('p',c)); i+=1; continue
        if c in '"\'':
            q=c; i+=1; b=bytearray()
            while s[i]!=q:
                if s[i]=='\\':
                    i+=1; e=s[i]
                    m={'n':10,'t':9,'r':13,'\\':92,'"':34,"'":39,'a':7,'b':8,'f':12,'v':11,'?':63}
                    if e in m: b.append(m[e]); i+=1
                    elif e=='x':
                        h=re.match(r'[0-9a-fA-F]{1,2}', s[i+1:]).group(0); b.append(int(h,16)); i+=1+len(h)
                    elif e in '01234567':
                        o=re.match(r'[0-7]{1,3}', s[i:]).group(0); b.append(int(o,8)&255); i+=len(o)
                    elif e=='u':
                        b+=chr(int(s[i+1:i+5],16)).encode(); i+=5
                    elif e=='U':
                        b+=chr(int(s[i+1:i+9],16)).encode(); i+=9
                    else: raise Exception('esc '+e)
                else:
                    b+=s[i].encode(); i+=1
            i+=1
            if toks and toks[-1][0]=='s': toks[-1]=('s',toks[-1][1]+bytes(b))
            else: toks.append(('s',bytes(b)))
            continue
        m=re.match(r'[A-Za-z0-9_.+\-/]+', s[i:])
        if not m: raise Exception('char %r at %d: %r' % (s[i], i, s[i-40:i+10]))
        toks.append(('w',m.group(0))); i+=len(m.group(0))
    return toks
def parse(toks, i, end):
    # returns list of (key, value) where value is bytes/str or list
    out=[]
    while i<len(toks) and toks[i]!=('p',end):
        k=toks[i][1]; i+=1
        if toks[i]==('p',':'): i+=1
        if toks[i] in (('p','{'),('p','<')):
            close='}' if toks[i][1]=='{' else '>'
            v,i=parse(toks,i+1,close); i+=1
        elif toks[i]==('p','['):
            i+=1; v=[]
            while toks[i]!=('p',']'):
                if toks[i]==('p',','): i+=1; continue
                if toks[i]==('p','{'):
                    vv,i=parse(toks,i+1,'}'); i+=1; v.append(vv)
                else: v.append(toks[i][1]); i+=1
            i+=1
            for x in v: out.append((k,x))
            continue
        else:
            v=toks[i][1]; i+=1
        out.append((k,v))
    return out,i
class Skip(Exception): pass
def cstr(b):
    o=''
    for ch in b:
        if ch in (34,92): o+='\\'+chr(ch)
        elif 32<=ch<127: o+=chr(ch)
        else: o+='\\%03o'%ch
    return o
def cel_string(b):
    s=b.decode('utf-8')
    o='"'
    for ch in s:
        if ch in '"\\': o+='\\'+ch
        elif ord(ch)<32 or ord(ch)==127: o+='\\u%04x'%ord(ch)
        else: o+=ch
    return o+'"'
def cel_bytes(b):
    return 'b"'+''.join('\\x%02x'%c for c in b)+'"'
def val(v):
    d=dict(v) if isinstance(v,list) else {}
    if len(v)!=1: raise Skip('multi')
    k,x=v[0]
    if k=='int64_value': return str(int(x))
    if k=='uint64_value': return str(int(x))+'u'
    if k=='double_value':
        if x in ('inf','Infinity'): return 'double("inf")'
        if x in ('-inf','-Infinity'): return 'double("-inf")'
        if x in ('nan','NaN'): return '@nan'
        f=float(x); r=repr(f)
        if 'e' not in r and '.' not in r: r+='.0'
        if 'e' in r and '.' not in r.split('e')[0]: r=r.replace('e','.0e')
        return r
    if k=='string_value': return cel_string(x)
    if k=='bytes_value': return cel_bytes(x)
    if k=='bool_value': return x
    if k=='null_value': return 'null'
    if k=='list_value':
        return '['+', '.join(val([e]) if False else val(e[1]) for e in x if e[0]=='values')+']'
    if k=='map_value':
        ents=[]
        for e in x:
            if e[0]!='entries': raise Skip('map?')
            ed=dict(e[1]); ents.append(val(ed['key'])+': '+val(ed['value']))
        return '{'+', '.join(ents)+'}'
    if k=='type_value':
        x=x.decode() if isinstance(x,bytes) else x
        if x in ('int','uint','double','string','bytes','bool','list','map','null_type','type'): return x
        raise Skip('type '+str(x))
    raise Skip(k)
files=sys.argv[1:]
for f in files:
    toks=tokenize(open(f).read())
    top,_=parse(toks,0,None)
    fname=f.split('/')[-1].replace('.textproto','')
    for k,sec in top:
        if k!='section': continue
        sd=dict(sec); sname=sd['name'].decode()
        for tk,t in sec:
            if tk!='test': continue
            td={}
            for a,b in t: td.setdefault(a,b)
            name=td['name'].decode()
            if 'expr' not in td:
                print('SKIP %s/%s/%s: no expr' % (fname,sname,name), file=sys.stderr); continue
            expr=td['expr'].decode('utf-8')
            if '\x00' in expr:
                print('SKIP %s/%s/%s: NUL in the expression' % (fname,sname,name), file=sys.stderr); continue
            try:
                for bad in ('bindings','type_env','container','disable_macros','check_only','typed_result','any_value','unknown'):
                    if bad in td: raise Skip(bad)
                if 'eval_error' in td: want='@error'
                elif 'value' in td: want=val(td['value'])
                else: want='true'
                print('\t{ "%s/%s/%s", "%s", "%s" },' % (fname,sname,name,cstr(expr.encode()),cstr(want.encode())))
            except Skip as e:
                print('SKIP %s/%s/%s: %s' % (fname,sname,name,e), file=sys.stderr)
