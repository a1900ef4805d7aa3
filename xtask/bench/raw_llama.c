// Best of three runs, as the engine bench reports.
// Raw llama.cpp on the same model, prompts, threads and greedy sampler as
// `millwright bench engine`, with none of Millwright's code in the loop.
// Built by `cargo xtask bench-engine` against the llama.cpp that llama-cpp-sys-2 built.
//
// usage: raw_llama MODEL THREADS PP_FILE TG_FILE N_GEN BACKENDS
//   BACKENDS: a directory (load every CPU variant, llama.cpp picks the best for
//   this CPU) or one backend library file (force that variant).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "llama.h"
#include "ggml-backend.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "cannot open %s\n", path); exit(2); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n + 1);
    if (fread(buf, 1, n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int tokenize(const struct llama_vocab *vocab, const char *text, llama_token **out) {
    int n_max = strlen(text) + 16;
    *out = malloc(sizeof(llama_token) * n_max);
    int n = llama_tokenize(vocab, text, strlen(text), *out, n_max, true, false);
    if (n < 0) { fprintf(stderr, "tokenize failed\n"); exit(2); }
    return n;
}

static void decode_all(struct llama_context *ctx, llama_token *toks, int n, int n_batch) {
    for (int i = 0; i < n; i += n_batch) {
        int m = n - i < n_batch ? n - i : n_batch;
        if (llama_decode(ctx, llama_batch_get_one(toks + i, m)) != 0) {
            fprintf(stderr, "decode failed\n");
            exit(2);
        }
    }
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s MODEL THREADS PP_FILE TG_FILE N_GEN BACKENDS\n", argv[0]);
        return 2;
    }
    const char *model_path = argv[1];
    int threads = atoi(argv[2]);
    char *pp_text = read_file(argv[3]);
    char *tg_text = read_file(argv[4]);
    int n_gen = atoi(argv[5]);
    struct stat st;
    if (stat(argv[6], &st) == 0 && S_ISDIR(st.st_mode)) {
        ggml_backend_load_all_from_path(argv[6]);
    } else if (!ggml_backend_load(argv[6])) {
        fprintf(stderr, "cannot load backend %s\n", argv[6]);
        return 2;
    }
    llama_log_set(NULL, NULL);
    llama_backend_init();

    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model *model = llama_model_load_from_file(model_path, mp);
    if (!model) { fprintf(stderr, "cannot load %s\n", model_path); return 2; }
    const struct llama_vocab *vocab = llama_model_get_vocab(model);

    // The same context settings as the engine's defaults.
    struct llama_context_params cp = llama_context_default_params();
    int n_ctx_train = llama_model_n_ctx_train(model);
    cp.n_ctx = n_ctx_train < 8192 ? n_ctx_train : 8192;
    cp.n_batch = 512;
    cp.n_ubatch = 512;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.swa_full = true;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create context\n"); return 2; }

    llama_token *pp, *tg;
    int n_pp = tokenize(vocab, pp_text, &pp);
    int n_tg = tokenize(vocab, tg_text, &tg);

    // Warm-up, as the engine bench does.
    decode_all(ctx, tg, n_tg, 512);

    enum { RUNS = 3 };
    double pp_tps[RUNS], tg_tps[RUNS];
    int generated = 0;
    // The engine keeps BOS cached between requests and decodes the rest of the
    // prompt; do the same, so both time one batch of the same shape.
    for (int r = 0; r < RUNS; r++) {
        llama_memory_clear(llama_get_memory(ctx), true);
        decode_all(ctx, pp, 1, 512);
        double t0 = now_ms();
        decode_all(ctx, pp + 1, n_pp - 1, 512);
        // The engine copies the last logits out; so does this, to be fair.
        volatile float keep = llama_get_logits_ith(ctx, -1)[0];
        (void)keep;
        pp_tps[r] = (n_pp - 1) * 1000.0 / (now_ms() - t0);
    }
    for (int r = 0; r < RUNS; r++) {
        llama_memory_clear(llama_get_memory(ctx), true);
        decode_all(ctx, tg, n_tg, 512);
        struct llama_sampler *smpl = llama_sampler_chain_init(llama_sampler_chain_default_params());
        llama_sampler_chain_add(smpl, llama_sampler_init_greedy());
        double t0 = now_ms();
        int i = 0;
        for (; i < n_gen; i++) {
            llama_token t = llama_sampler_sample(smpl, ctx, -1);
            if (llama_vocab_is_eog(vocab, t)) { i++; break; }
            if (i + 1 == n_gen) { i++; break; }
            if (llama_decode(ctx, llama_batch_get_one(&t, 1)) != 0) { fprintf(stderr, "decode failed\n"); return 2; }
        }
        generated = i;
        tg_tps[r] = (generated - 1) * 1000.0 / (now_ms() - t0);
        llama_sampler_free(smpl);
    }
    qsort(pp_tps, RUNS, sizeof(double), cmp);
    qsort(tg_tps, RUNS, sizeof(double), cmp);
    printf("{\"pp_tokens\": %d, \"pp_tokens_per_s\": %.2f, \"tg_tokens\": %d, \"tg_tokens_per_s\": %.2f, \"system_info\": \"%s\"}\n",
           n_pp - 1, pp_tps[RUNS - 1], generated, tg_tps[RUNS - 1], llama_print_system_info());
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
