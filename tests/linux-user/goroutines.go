// Goroutines and channels (built with Debian's gccgo cross compiler).
package main

import "fmt"

func main() {
	ch := make(chan int)
	done := make(chan bool)
	go func() {
		s := 0
		for v := range ch {
			s += v
		}
		fmt.Println("sum", s)
		done <- true
	}()
	for i := 1; i <= 100; i++ {
		ch <- i
	}
	close(ch)
	<-done
	fmt.Println("goroutines ok")
}
