"""Is NEW a compatible evolution of OLD for generated clients? Every $ref resolved, every operation,
parameter, request body, response status, content type, header and schema property of OLD must still
be in NEW with the same type; NEW may add (optional parameters, properties, responses, schemas).

    python3 .ci/spec_compat.py <(git show <old-commit>:openapi/openapi.json) openapi/openapi.json
"""
import json,sys
old=json.load(open(sys.argv[1])); new=json.load(open(sys.argv[2]))
def deref(doc,node,seen=()):
    if isinstance(node,dict):
        if '$ref' in node:
            ref=node['$ref']
            if ref in seen: return {'$recursive':ref}
            parts=ref[2:].split('/'); tgt=doc
            for p in parts: tgt=tgt[p.replace('~1','/').replace('~0','~')]
            extra={k:v for k,v in node.items() if k!='$ref'}
            r=deref(doc,tgt,seen+(ref,))
            if isinstance(r,dict): r=dict(r); r.update({k:deref(doc,v,seen) for k,v in extra.items()})
            return r
        return {k:deref(doc,v,seen) for k,v in node.items()}
    if isinstance(node,list): return [deref(doc,v,seen) for v in node]
    return node
problems=[]
def cmp_schema(a,b,path):
    # b (new) must accept/produce what a (old) described: same type, same properties (more allowed), same required (no new required in requests)
    if not isinstance(a,dict) or not isinstance(b,dict): return
    for key in ('type','format','enum','$recursive'):
        if a.get(key)!=b.get(key) and key in a:
            if key=='enum' and set(a[key])<=set(b.get(key,[])): continue
            problems.append(f"{path}: {key} {a.get(key)} -> {b.get(key)}")
    for k,v in a.get('properties',{}).items():
        if k not in b.get('properties',{}): problems.append(f"{path}: property {k} removed")
        else: cmp_schema(v,b['properties'][k],path+'.'+k)
    for comb in ('items','additionalProperties'):
        if comb in a and isinstance(a[comb],dict): cmp_schema(a[comb],b.get(comb,{}),path+'.'+comb)
    for comb in ('oneOf','anyOf','allOf'):
        if comb in a:
            if len(a[comb])!=len(b.get(comb,[])): problems.append(f"{path}: {comb} arity")
            else:
                for i,(x,y) in enumerate(zip(a[comb],b[comb])): cmp_schema(x,y,f"{path}.{comb}[{i}]")
O=deref(old,old); N=deref(new,new)
for p,item in O['paths'].items():
    if p not in N['paths']: problems.append(f"path {p} removed"); continue
    for m,op in item.items():
        if m not in N['paths'][p]: problems.append(f"{m} {p} removed"); continue
        nop=N['paths'][p][m]
        if op.get('operationId')!=nop.get('operationId'): problems.append(f"{m} {p}: operationId {op.get('operationId')} -> {nop.get('operationId')}")
        op_params={(x['name'],x['in']):x for x in op.get('parameters',[])}
        np={(x['name'],x['in']):x for x in nop.get('parameters',[])}
        for k,x in op_params.items():
            if k not in np: problems.append(f"{m} {p}: parameter {k} removed")
            else: cmp_schema(x.get('schema',{}),np[k].get('schema',{}),f"{m} {p} param {k}")
        for k,x in np.items():
            if k not in op_params and x.get('required'): problems.append(f"{m} {p}: new required parameter {k}")
        if 'requestBody' in op:
            for ct,c in op['requestBody'].get('content',{}).items():
                nc=nop.get('requestBody',{}).get('content',{}).get(ct)
                if nc is None: problems.append(f"{m} {p}: request {ct} removed")
                else: cmp_schema(c.get('schema',{}),nc.get('schema',{}),f"{m} {p} request")
        for code,r in op.get('responses',{}).items():
            nr=nop.get('responses',{}).get(code)
            if nr is None: problems.append(f"{m} {p}: response {code} removed"); continue
            for ct,c in r.get('content',{}).items():
                nc=nr.get('content',{}).get(ct)
                if nc is None: problems.append(f"{m} {p} {code}: {ct} removed")
                else: cmp_schema(c.get('schema',{}),nc.get('schema',{}),f"{m} {p} {code}")
            for h in r.get('headers',{}):
                if h not in nr.get('headers',{}): problems.append(f"{m} {p} {code}: header {h} removed")
for name in old.get('components',{}).get('schemas',{}):
    if name not in new.get('components',{}).get('schemas',{}): problems.append(f"schema {name} removed")
ops=sum(len(v) for v in O['paths'].values())
print(f'{len(problems)} incompatibilities in {ops} operations compared')
print('\n'.join(problems[:40]))
sys.exit(1 if problems else 0)
