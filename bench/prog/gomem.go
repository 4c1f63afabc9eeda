// A small Go program for bench/user-rss.js: the runtime reserves its arenas and starts several
// threads (sysmon, GC workers); the work itself needs little memory.
package main

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

func main() {
	var wg sync.WaitGroup
	parts := make([]string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			m := map[string]int{}
			for i := 0; i < 2000; i++ {
				m[fmt.Sprint(i*g%97)]++
			}
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts[g] = strings.Join(keys, ",")
		}(g)
	}
	wg.Wait()
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	fmt.Println("ok", n)
}
