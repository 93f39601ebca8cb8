"""Call sampling (录音抽取): selecting calls, a sampling rule at run time, its generated period
close, and published plans."""
