// vcsim — the test harness around govmomi's vSphere API simulator that
// hnbuild's publish tests run against (build: GOPATH=/usr/share/gocode
// GO111MODULE=off go build -o build/vcsim ./tests/vcsim).
//
//	vcsim serve -dir DIR [-folder Templates]
//	    Starts simulator.VPX() (DC0, cluster DC0_C0, datastore LocalDS_0,
//	    networks "VM Network" and DC0_DVPG0) on 127.0.0.1 with TLS and the
//	    login VCSIM_USER / VCSIM_PASSWORD (from the environment, never argv),
//	    plus a VM folder DC0/vm/<folder>. Writes DIR/ca.pem (the server's
//	    self-signed certificate), DIR/url (https://127.0.0.1:PORT/sdk, no
//	    password) and DIR/soap.log (one SOAP method name per line), prints
//	    "READY <url>" and runs until stdin closes or SIGTERM/SIGINT.
//	    Uploads through an HttpNfcLease are written to the VM's disk file in
//	    the datastore directory (this govmomi release discards them), so tests
//	    can compare bytes. Faults for error tests are set per request at
//	    https://.../hnbuild-test/fault?method=M&upload-fail=N&upload-status=S&upload-delay=D
//	    (method: answer the next call of SOAP method M with a fault;
//	    upload-fail: drop the connection after N bytes of the next upload;
//	    upload-status: answer the next upload with HTTP status S;
//	    upload-delay: answer the next upload only after a duration, e.g. 12s).
//	vcsim inspect -url URL -path /DC0/vm/Templates/NAME
//	    Prints JSON about a VM: template flag, networks, disks and the local
//	    files backing them. Exit 4 when the VM does not exist.
//	vcsim ls -url URL -path /DC0/vm/Templates
//	    Prints the names of a folder's children, one per line.
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type faults struct {
	sync.Mutex
	method       string
	uploadFail   int64 // -1: none
	uploadStatus int   // 0: none
	uploadDelay  time.Duration
}

type harness struct {
	dir     string
	logMu   sync.Mutex
	soapLog *os.File
	fault   faults
	mu      sync.Mutex
	leases  map[string]map[string]string // lease id -> device file name -> local path
}

var (
	reMethod  = regexp.MustCompile(`<(?:[A-Za-z0-9_]+:)?Body[^>]*>\s*<(?:[A-Za-z0-9_]+:)?([A-Za-z0-9_]+)`)
	reThis    = regexp.MustCompile(`<_this[^>]*>([^<]*)</_this>`)
	reLeaseID = regexp.MustCompile(`<returnval type="HttpNfcLease">([^<]*)</returnval>`)
)

func (h *harness) logf(format string, a ...interface{}) {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	fmt.Fprintf(h.soapLog, format, a...)
	h.soapLog.Sync()
}

func soapFault(w http.ResponseWriter, method string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>injected fault in %s</faultstring>
<detail><SystemErrorFault xmlns="urn:vim25" xsi:type="SystemError"><reason>injected by the test harness</reason></SystemErrorFault></detail>
</soapenv:Fault></soapenv:Body></soapenv:Envelope>`, method)
}

func vmIDs() map[string]bool {
	ids := map[string]bool{}
	for _, e := range simulator.Map.All("VirtualMachine") {
		ids[e.Reference().Value] = true
	}
	return ids
}

// diskFiles maps the base name of each file-backed device of vm to its path
// in the datastore's local directory (what the lease's device URLs name).
func diskFiles(vm *simulator.VirtualMachine) map[string]string {
	files := map[string]string{}
	for _, d := range vm.Config.Hardware.Device {
		b, ok := d.GetVirtualDevice().Backing.(types.BaseVirtualDeviceFileBackingInfo)
		if !ok {
			continue
		}
		var p object.DatastorePath
		if !p.FromString(b.GetVirtualDeviceFileBackingInfo().FileName) {
			continue
		}
		for _, e := range simulator.Map.All("Datastore") {
			ds := e.(*simulator.Datastore)
			if ds.Name == p.Datastore {
				files[path.Base(p.Path)] = filepath.Join(ds.Info.GetDatastoreInfo().Url, p.Path)
			}
		}
	}
	return files
}

func (h *harness) serveSOAP(next http.Handler, w http.ResponseWriter, r *http.Request) {
	body, err := ioutil.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	method := "?"
	if m := reMethod.FindSubmatch(body); m != nil {
		method = string(m[1])
	}
	this := ""
	if m := reThis.FindSubmatch(body); m != nil {
		this = string(m[1])
	}
	h.logf("%s %s\n", method, this)
	h.fault.Lock()
	inject := h.fault.method != "" && h.fault.method == method
	if inject {
		h.fault.method = ""
	}
	h.fault.Unlock()
	if inject {
		soapFault(w, method)
		return
	}
	r.Body = ioutil.NopCloser(bytes.NewReader(body))
	if method != "ImportVApp" {
		if method == "HttpNfcLeaseComplete" || method == "HttpNfcLeaseAbort" {
			h.mu.Lock()
			delete(h.leases, this)
			h.mu.Unlock()
		}
		next.ServeHTTP(w, r)
		return
	}
	// ImportVApp: remember which datastore files the new lease uploads into.
	h.mu.Lock()
	defer h.mu.Unlock()
	before := vmIDs()
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	if m := reLeaseID.FindSubmatch(rec.Body.Bytes()); m != nil {
		for _, e := range simulator.Map.All("VirtualMachine") {
			if !before[e.Reference().Value] {
				h.leases[string(m[1])] = diskFiles(e.(*simulator.VirtualMachine))
			}
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (h *harness) serveNFC(next http.Handler, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut && r.Method != http.MethodPost {
		next.ServeHTTP(w, r)
		return
	}
	p := strings.Split(r.URL.Path, "/")
	id, name := p[len(p)-2], p[len(p)-1]
	h.mu.Lock()
	file := h.leases[id][name]
	h.mu.Unlock()
	h.fault.Lock()
	fail, status, delay := h.fault.uploadFail, h.fault.uploadStatus, h.fault.uploadDelay
	h.fault.uploadFail, h.fault.uploadStatus, h.fault.uploadDelay = -1, 0, 0
	h.fault.Unlock()
	h.logf("NFC-%s %s %s length=%d\n", r.Method, id, name, r.ContentLength)
	if file == "" {
		http.NotFound(w, r)
		return
	}
	if status != 0 {
		io.Copy(ioutil.Discard, r.Body)
		http.Error(w, "injected upload failure", status)
		return
	}
	f, err := os.Create(file)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	var src io.Reader = r.Body
	if fail >= 0 {
		src = io.LimitReader(r.Body, fail)
	}
	n, err := io.Copy(f, src)
	if fail >= 0 {
		// Interrupted upload: drop the connection mid-body.
		h.logf("NFC-DROP %s after %d bytes\n", name, n)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if delay > 0 {
		// A slow datastore: the client must keep the lease alive meanwhile.
		h.logf("NFC-SLOW %s %s\n", name, delay)
		time.Sleep(delay)
	}
	h.logf("NFC-DONE %s %d bytes\n", name, n)
	w.WriteHeader(http.StatusOK)
}

func (h *harness) serveFault(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h.fault.Lock()
	defer h.fault.Unlock()
	h.fault.method = q.Get("method")
	h.fault.uploadFail = -1
	h.fault.uploadStatus = 0
	h.fault.uploadDelay = 0
	if v := q.Get("upload-delay"); v != "" {
		h.fault.uploadDelay, _ = time.ParseDuration(v)
	}
	if v := q.Get("upload-fail"); v != "" {
		h.fault.uploadFail, _ = strconv.ParseInt(v, 10, 64)
	}
	if v := q.Get("upload-status"); v != "" {
		h.fault.uploadStatus, _ = strconv.Atoi(v)
	}
	fmt.Fprintln(w, "ok")
}

// selfSigned makes a fresh P-256 certificate for 127.0.0.1 (govmomi's
// built-in test certificate is RSA-1024, which OpenSSL refuses as too weak).
func selfSigned() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		die("key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "hnbuild vcsim", Organization: []string{"hnbuild tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		die("certificate: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "vcsim: "+format+"\n", a...)
	os.Exit(1)
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	dir := fs.String("dir", "", "state directory (ca.pem, url, soap.log)")
	folder := fs.String("folder", "Templates", "VM folder to create under DC0/vm")
	fs.Parse(args)
	if *dir == "" {
		die("serve needs -dir")
	}
	user, pass := os.Getenv("VCSIM_USER"), os.Getenv("VCSIM_PASSWORD")
	if user == "" || pass == "" {
		die("set VCSIM_USER and VCSIM_PASSWORD")
	}
	h := &harness{dir: *dir, leases: map[string]map[string]string{}}
	h.fault.uploadFail = -1
	var err error
	if h.soapLog, err = os.Create(filepath.Join(*dir, "soap.log")); err != nil {
		die("%v", err)
	}

	model := simulator.VPX()
	if err := model.Create(); err != nil {
		die("create model: %v", err)
	}
	defer model.Remove()
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned()}}
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(user, pass)}
	s := model.Service.NewServer()
	defer s.Close()
	mux := s.Server.Config.Handler
	s.Server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/hnbuild-test/fault":
			h.serveFault(w, r)
		case strings.HasPrefix(r.URL.Path, "/nfc/"):
			h.serveNFC(mux, w, r)
		case r.URL.Path == "/sdk" && r.Method == http.MethodPost:
			h.serveSOAP(mux, w, r)
		default:
			mux.ServeHTTP(w, r)
		}
	})

	ctx := context.Background()
	c, err := govmomi.NewClient(ctx, s.URL, true)
	if err != nil {
		die("client: %v", err)
	}
	root, err := find.NewFinder(c.Client).Folder(ctx, "/DC0/vm")
	if err != nil {
		die("vm folder: %v", err)
	}
	if _, err := root.CreateFolder(ctx, *folder); err != nil {
		die("create folder: %v", err)
	}
	c.Logout(ctx)

	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := ioutil.WriteFile(filepath.Join(*dir, "ca.pem"), pemBytes, 0644); err != nil {
		die("%v", err)
	}
	u := url.URL{Scheme: "https", Host: s.URL.Host, Path: "/sdk"}
	if err := ioutil.WriteFile(filepath.Join(*dir, "url"), []byte(u.String()+"\n"), 0644); err != nil {
		die("%v", err)
	}
	fmt.Printf("READY %s\n", u.String())
	os.Stdout.Sync()

	done := make(chan struct{}, 2)
	go func() {
		io.Copy(ioutil.Discard, os.Stdin)
		done <- struct{}{}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		done <- struct{}{}
	}()
	<-done
	// Exit now: Server.Close would wait for a handler still sleeping in an
	// upload-delay fault.
	model.Remove()
	os.Exit(0)
}

func connect(rawURL string) (*govmomi.Client, context.Context) {
	u, err := url.Parse(rawURL)
	if err != nil {
		die("url: %v", err)
	}
	u.User = url.UserPassword(os.Getenv("VCSIM_USER"), os.Getenv("VCSIM_PASSWORD"))
	ctx := context.Background()
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		die("login: %v", err)
	}
	return c, ctx
}

type diskInfo struct {
	File       string `json:"file"`
	LocalPath  string `json:"local_path"`
	CapacityKB int64  `json:"capacity_kb"`
}

type vmInfo struct {
	Name      string     `json:"name"`
	Template  bool       `json:"template"`
	GuestID   string     `json:"guest_id"`
	NumCPU    int32      `json:"cpus"`
	MemoryMB  int32      `json:"memory_mb"`
	Networks  []string   `json:"networks"`
	NICs      []string   `json:"nic_backings"`
	Disks     []diskInfo `json:"disks"`
	Parent    string     `json:"parent_folder"`
	Inventory string     `json:"inventory_path"`
}

func inspect(args []string) {
	fs := flag.NewFlagSet("inspect", flag.ExitOnError)
	rawURL := fs.String("url", "", "")
	p := fs.String("path", "", "")
	fs.Parse(args)
	c, ctx := connect(*rawURL)
	defer c.Logout(ctx)
	f := find.NewFinder(c.Client)
	vm, err := f.VirtualMachine(ctx, *p)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vcsim: %v\n", err)
		os.Exit(4)
	}
	var m mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"name", "config", "network", "parent"}, &m); err != nil {
		die("properties: %v", err)
	}
	info := vmInfo{Name: m.Name, Template: m.Config.Template, GuestID: m.Config.GuestId,
		NumCPU: m.Config.Hardware.NumCPU, MemoryMB: m.Config.Hardware.MemoryMB, Inventory: vm.InventoryPath,
		Networks: []string{}, NICs: []string{}, Disks: []diskInfo{}}
	for _, n := range m.Network {
		var nm mo.Network
		if err := c.RetrieveOne(ctx, n, []string{"name"}, &nm); err == nil {
			info.Networks = append(info.Networks, nm.Name)
		}
	}
	if m.Parent != nil {
		var pf mo.Folder
		if err := c.RetrieveOne(ctx, *m.Parent, []string{"name"}, &pf); err == nil {
			info.Parent = pf.Name
		}
	}
	for _, d := range m.Config.Hardware.Device {
		switch dev := d.(type) {
		case *types.VirtualDisk:
			b, ok := dev.Backing.(types.BaseVirtualDeviceFileBackingInfo)
			if !ok {
				continue
			}
			di := diskInfo{File: b.GetVirtualDeviceFileBackingInfo().FileName, CapacityKB: dev.CapacityInKB}
			var dp object.DatastorePath
			if dp.FromString(di.File) {
				if ds, err := f.Datastore(ctx, dp.Datastore); err == nil {
					var dm mo.Datastore
					if err := ds.Properties(ctx, ds.Reference(), []string{"info"}, &dm); err == nil {
						di.LocalPath = filepath.Join(dm.Info.GetDatastoreInfo().Url, dp.Path)
					}
				}
			}
			info.Disks = append(info.Disks, di)
		case types.BaseVirtualEthernetCard:
			switch b := dev.GetVirtualEthernetCard().Backing.(type) {
			case *types.VirtualEthernetCardNetworkBackingInfo:
				info.NICs = append(info.NICs, b.DeviceName)
			case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
				info.NICs = append(info.NICs, "dvportgroup:"+b.Port.PortgroupKey)
			}
		}
	}
	out, _ := json.MarshalIndent(info, "", "  ")
	fmt.Println(string(out))
}

func ls(args []string) {
	fs := flag.NewFlagSet("ls", flag.ExitOnError)
	rawURL := fs.String("url", "", "")
	p := fs.String("path", "", "")
	fs.Parse(args)
	c, ctx := connect(*rawURL)
	defer c.Logout(ctx)
	folder, err := find.NewFinder(c.Client).Folder(ctx, *p)
	if err != nil {
		die("%v", err)
	}
	children, err := folder.Children(ctx)
	if err != nil {
		die("%v", err)
	}
	for _, ch := range children {
		var e mo.ManagedEntity
		if err := c.RetrieveOne(ctx, ch.Reference(), []string{"name"}, &e); err == nil {
			fmt.Println(e.Name)
		}
	}
}

func main() {
	if len(os.Args) < 2 {
		die("usage: vcsim serve|inspect|ls ...")
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "inspect":
		inspect(os.Args[2:])
	case "ls":
		ls(os.Args[2:])
	default:
		die("unknown command %s", os.Args[1])
	}
}
