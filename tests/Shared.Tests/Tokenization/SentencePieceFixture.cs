using System.Text.Json.Nodes;
using Google.Protobuf;

namespace Distill.Shared.Tests.Tokenization;

/// <summary>
/// A small Llama-style SentencePiece BPE vocabulary (&lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the 256 byte pieces, then words),
/// written both as a Hugging Face <c>tokenizer.json</c> (byte fallback, Metaspace-style normaliser) and as a SentencePiece
/// <c>tokenizer.model</c> protobuf.
/// </summary>
internal static class SentencePieceFixture
{
    private const int Unknown = 2, Control = 3, Normal = 1, Byte = 6; // SentencePiece.Type

    public static IReadOnlyList<string> Pieces { get; } =
    [
        "<unk>", "<s>", "</s>",
        .. Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"),
        "▁", "e", "h", "t", "▁t", "he", "▁the", "▁a", "r", "▁ar",
    ];

    public static void WriteTokenizerJson(string folder, Func<string, int, int>? idOf = null)
    {
        Directory.CreateDirectory(folder);
        var vocab = new JsonObject();
        for (var id = 0; id < Pieces.Count; id++)
        {
            vocab[Pieces[id]] = idOf?.Invoke(Pieces[id], id) ?? id;
        }
        var added = new JsonArray();
        foreach (var special in Pieces.Take(3))
        {
            added.Add(new JsonObject
            {
                ["id"] = Pieces.ToList().IndexOf(special), ["content"] = special, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        }
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = "▁" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "▁" }),
            },
            ["pre_tokenizer"] = null,
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(new JsonObject { ["type"] = "ByteFallback" }, new JsonObject { ["type"] = "Fuse" }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["unk_token"] = "<unk>",
                ["byte_fallback"] = true,
                ["fuse_unk"] = true,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray("▁ t", "h e", "▁t he", "▁a r"),
            },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.ToJsonString());
    }

    /// <summary>The same vocabulary as a SentencePiece ModelProto (pieces, then a BPE trainer spec with byte fallback).</summary>
    public static void WriteModelProto(string folder)
    {
        Directory.CreateDirectory(folder);
        using var file = File.Create(Path.Combine(folder, "tokenizer.model"));
        var output = new CodedOutputStream(file);
        for (var id = 0; id < Pieces.Count; id++)
        {
            var type = id == 0 ? Unknown : id < 3 ? Control : id < 259 ? Byte : Normal;
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(Message(piece =>
            {
                piece.WriteTag(1, WireFormat.WireType.LengthDelimited);
                piece.WriteString(Pieces[id]);
                piece.WriteTag(2, WireFormat.WireType.Fixed32);
                piece.WriteFloat(type == Normal ? -id : 0f);
                piece.WriteTag(3, WireFormat.WireType.Varint);
                piece.WriteEnum(type);
            }));
        }
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(Message(spec =>
        {
            spec.WriteTag(3, WireFormat.WireType.Varint);
            spec.WriteEnum(2); // model_type BPE
            spec.WriteTag(35, WireFormat.WireType.Varint);
            spec.WriteBool(true); // byte_fallback
        }));
        output.WriteTag(3, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(Message(normalizer =>
        {
            normalizer.WriteTag(1, WireFormat.WireType.LengthDelimited);
            normalizer.WriteString("identity");
        }));
        output.Flush();
    }

    private static ByteString Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return ByteString.CopyFrom(buffer.ToArray());
    }
}
