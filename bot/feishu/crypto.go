package feishu

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
)

// decrypt opens an encrypted event body's "encrypt" field: base64 of
// IV (16 bytes) + AES-256-CBC ciphertext, key = SHA-256(encrypt key),
// PKCS#7 padding. The SDK's own decryption (v3.9.2) does not check or strip
// the padding, so it is done here.
func decrypt(encryptKey, encoded string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, errors.New("encrypted body is not base64")
	}
	if len(raw) < 2*aes.BlockSize || len(raw)%aes.BlockSize != 0 {
		return nil, errors.New("encrypted body has a bad length")
	}
	key := sha256.Sum256([]byte(encryptKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	iv, data := raw[:aes.BlockSize], bytes.Clone(raw[aes.BlockSize:])
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(data, data)
	n := int(data[len(data)-1])
	if n == 0 || n > aes.BlockSize || n > len(data) || !bytes.Equal(data[len(data)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return nil, errors.New("encrypted body has bad padding (wrong encrypt key?)")
	}
	return data[:len(data)-n], nil
}

// encrypt is decrypt's inverse, as Feishu encrypts; the tests build
// bodies with it.
func encrypt(encryptKey string, plain []byte, iv []byte) string {
	key := sha256.Sum256([]byte(encryptKey))
	block, _ := aes.NewCipher(key[:])
	n := aes.BlockSize - len(plain)%aes.BlockSize
	data := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(n)}, n)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(data, data)
	return base64.StdEncoding.EncodeToString(append(bytes.Clone(iv), data...))
}

// signature is X-Lark-Signature: hex SHA-256 of timestamp + nonce +
// encrypt key + raw body.
func signature(timestamp, nonce, encryptKey string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(timestamp + nonce + encryptKey))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}
