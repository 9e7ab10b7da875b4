package etcdcoord

import "go.opentelemetry.io/collector/extension/xextension/storage"

func storageSet(key, value string) *storage.Operation {
	return storage.SetOperation(key, []byte(value))
}
