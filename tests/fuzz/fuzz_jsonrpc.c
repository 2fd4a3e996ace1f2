/* Fuzz target: JSON-RPC messages as MCP clients and stdio targets send
 * them (user/mcp/jsonrpc.c), and the federation's merge of their results
 * (user/mcp/merge.c). Any input is read or refused with a JSON-RPC error
 * code; a message read is one of the three kinds with the fields that
 * kind needs, and every text the gateway writes back from it (an error,
 * a reply, the message with a new id, a merged list) reads back as a
 * JSON-RPC message of the right kind. */
#include <errno.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "user/mcp/jsonrpc.h"
#include "user/mcp/merge.h"

static void reads_back(char *text, enum sg_jsonrpc_kind kind)
{
	struct sg_jsonrpc m;
	const char *why;

	FUZZ_CHECK(text);
	FUZZ_CHECK(sg_jsonrpc_parse(text, strlen(text), &m, &why) == 0);
	FUZZ_CHECK(m.kind == kind);
	sg_jsonrpc_free(&m);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_jsonrpc m;
	const char *why = NULL;
	int rc = sg_jsonrpc_parse((const char *)data, size, &m, &why);

	if (rc) {
		FUZZ_CHECK(rc == SG_JSONRPC_PARSE_ERROR || rc == SG_JSONRPC_INVALID_REQUEST ||
			   rc == -ENOMEM);
		FUZZ_CHECK(rc == -ENOMEM || why);
		if (rc != -ENOMEM)
			reads_back(sg_jsonrpc_error_text(m.id, rc, why), SG_JSONRPC_RESPONSE);
		sg_json_free(m.root);
		return 0;
	}
	if (m.id) {
		uint64_t own;

		FUZZ_CHECK(!sg_jsonrpc_id_u64(m.id, &own) || own >= 1);
	}
	switch (m.kind) {
	case SG_JSONRPC_REQUEST:
		FUZZ_CHECK(m.method && m.id);
		reads_back(sg_jsonrpc_with_id(&m, 7), SG_JSONRPC_REQUEST);
		break;
	case SG_JSONRPC_NOTIFICATION:
		FUZZ_CHECK(m.method && !m.id);
		reads_back(sg_jsonrpc_with_id(&m, 0), SG_JSONRPC_NOTIFICATION);
		break;
	case SG_JSONRPC_RESPONSE: {
		struct sg_mcp_part parts[2] = { { "a", m.result }, { "b_c", m.result } };
		char *list;

		FUZZ_CHECK(!m.method && (!m.result != !m.error) && (m.id || m.error));
		reads_back(sg_jsonrpc_reply_text(m.id, &m), SG_JSONRPC_RESPONSE);
		/* A result answers a request, which has an id; an error about an
		 * unreadable message ("id":null) is never merged or answered. */
		if (!m.id)
			break;
		list = sg_mcp_merge_list(parts, 2, "tools", "name", true);
		FUZZ_CHECK(list);
		reads_back(sg_jsonrpc_result_text(m.id, list), SG_JSONRPC_RESPONSE);
		free(list);
		list = sg_mcp_merge_initialize(parts, 2, "2025-06-18");
		if (list)
			reads_back(sg_jsonrpc_result_text(m.id, list), SG_JSONRPC_RESPONSE);
		free(list);
		break;
	}
	}
	sg_jsonrpc_free(&m);
	return 0;
}
