#!/usr/bin/env python3
"""Independent oracle for the level-shift rule relative to the zone (Indicators/README.md,
"Level-shift flag"): recomputes, in plain Python, the findings LevelShiftRelativeToZoneTests
expects (the README vector, its zone-mates, and the shift-and-revert case) and prints them as
(day class, from, to, recent median share, earlier median share, ratio). No public holidays.
Run from anywhere: python3 Indicators/oracle/level_shift_relative.py
"""
from datetime import date, timedelta
from statistics import median
def series(first,last,level,shift=None,f=1,rev=None):
    d={};x=first
    while x<=last:
        s = shift is not None and x>=shift and (rev is None or x<rev)
        d[x]=level*f if s else level; x+=timedelta(1)
    return d
def cls(d): w=d.isoweekday(); return 'sat' if w==6 else 'sun' if w==7 else 'wd'
def run(a,mates,last):
    sh={d:a[d]/sum(m[d] for m in mates) for d in a}
    out=[]
    for c in ['wd','sat','sun']:
        prev=None
        for k in range(51,-1,-1):
            e=last-timedelta(7*k)
            r=[sh[e-timedelta(i)] for i in range(28) if (e-timedelta(i)) in sh and cls(e-timedelta(i))==c]
            p=[sh[e-timedelta(i)] for i in range(28,84) if (e-timedelta(i)) in sh and cls(e-timedelta(i))==c]
            if len(r)<3 or len(p)<6: prev=None; continue
            q=median(r)/median(p)
            if q>1.4 or q<1/1.4:
                up=q>1
                if prev!=up: out.append((c,str(e-timedelta(27)),str(e),round(median(r),4),round(median(p),4),round(q,4)))
                prev=up
            else: prev=None
    return out
f,l,s=date(2025,1,6),date(2025,5,25),date(2025,3,31)
A=series(f,l,300,s,1.6);B=series(f,l,200);C=series(f,l,400)
print(run(A,[B,C],l)); print(run(B,[A,C],l)); print(run(C,[A,B],l))
l2=date(2025,12,28); A=series(f,l2,300,s,1.6,date(2025,6,23));B=series(f,l2,200);C=series(f,l2,400)
print(run(A,[B,C],l2))
