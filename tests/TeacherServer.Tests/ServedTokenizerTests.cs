using Distill.Shared.Tokenization;
using Distill.Shared.Wire;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>A teacher is served whatever its tokenizer; GET /v1/models reports the kind and the fingerprint a trainer compares.</summary>
public sealed class ServedTokenizerTests
{
    /// <summary>A Llama 2 style tokenizer.json: BPE with byte fallback, a Metaspace-like normaliser, no ByteLevel anywhere.</summary>
    internal const string SentencePieceTokenizerJson = """
        {"version":"1.0",
         "added_tokens":[{"id":0,"content":"<unk>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
                         {"id":1,"content":"<s>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
                         {"id":2,"content":"</s>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],
         "normalizer":{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},{"type":"Replace","pattern":{"String":" "},"content":"▁"}]},
         "pre_tokenizer":null,
         "decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]},
         "model":{"type":"BPE","unk_token":"<unk>","byte_fallback":true,"fuse_unk":true,
                  "vocab":{"<unk>":0,"<s>":1,"</s>":2,"<0x0A>":3,"▁":4,"t":5,"h":6,"e":7,"▁t":8,"he":9,"▁the":10},
                  "merges":["▁ t","h e","▁t he"]}}
        """;

    [Fact]
    public async Task A_sentencepiece_tokenizer_json_is_served_with_its_kind_and_fingerprint()
    {
        using var host = TeacherHost.Start(models =>
        {
            var folder = Path.Combine(models, "llama-like");
            TinyOnnxModel.WriteFolder(folder, vocab: 32);
            File.WriteAllText(Path.Combine(folder, "tokenizer.json"), SentencePieceTokenizerJson);
        });

        var model = (await host.WaitForModelAsync("llama-like"))!;

        Assert.Equal(TokenizerKinds.SentencePieceBpe, model.TokenizerKind);
        Assert.Matches("^[0-9a-f]{64}$", model.TokenizerFingerprint);
        // What a trainer computes from the same files, to compare with its student's.
        Assert.Equal(TokenizerInspector.Describe(Path.Combine(host.ModelsFolder, "llama-like")).Fingerprint, model.TokenizerFingerprint);
        var answer = await TopKCalls.BinaryAsync(host.Client, "llama-like", new TopKRequest([[1, 10, 4, 2]], 3, 1f));
        Assert.Equal(4, answer.Sequences[0].Length);
    }

    [Fact]
    public async Task A_folder_without_tokenizer_files_reports_kind_none_and_no_fingerprint()
    {
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "bare")));
        var model = (await host.WaitForModelAsync("bare"))!;
        Assert.Equal(TokenizerKinds.None, model.TokenizerKind);
        Assert.Null(model.TokenizerFingerprint);
    }
}
