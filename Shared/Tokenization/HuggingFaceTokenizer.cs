using System.Text.Json;
using System.Text.Json.Nodes;
using Tokenizers.DotNet;

namespace Distill.Shared.Tokenization;

/// <summary>
/// Hugging Face's own Rust <c>tokenizers</c> (through Tokenizers.DotNet) over a <c>tokenizer.json</c> document. The
/// wrapper encodes only with <c>add_special_tokens=True</c> and decodes only skipping special tokens, so each use gets
/// its own copy of the document: without the post-processor for plain ids, with every added token unflagged as special
/// for decoding. Copies are loaded on first use.
/// </summary>
internal sealed class HuggingFaceTokenizer
{
    private readonly Lazy<Tokenizer> _plain;
    private readonly Lazy<Tokenizer> _withSpecialTokens;
    private readonly Lazy<Tokenizer> _decoding;

    /// <exception cref="InvalidDataException">Hugging Face's library refuses the document.</exception>
    public HuggingFaceTokenizer(TokenizerDefinition definition)
    {
        _plain = new Lazy<Tokenizer>(() => Load(definition, keepPostProcessor: false, unflagSpecial: false));
        _withSpecialTokens = new Lazy<Tokenizer>(() => Load(definition, keepPostProcessor: true, unflagSpecial: false));
        _decoding = new Lazy<Tokenizer>(() => Load(definition, keepPostProcessor: false, unflagSpecial: true));
        _ = _plain.Value;
    }

    /// <summary>Loads the document into Hugging Face's library once and lets it go, to learn whether the library reads it.</summary>
    /// <exception cref="InvalidDataException">Hugging Face's library refuses the document.</exception>
    public static void Check(TokenizerDefinition definition)
    {
        using var tokenizer = Load(definition, keepPostProcessor: true, unflagSpecial: false);
    }

    /// <summary>Hugging Face's <c>encode(text, add_special_tokens=False)</c>.</summary>
    public int[] Encode(string text) => ToInts(_plain.Value.Encode(text));

    /// <summary>Hugging Face's <c>encode(text, add_special_tokens=True)</c>.</summary>
    public int[] EncodeWithSpecialTokens(string text) => ToInts(_withSpecialTokens.Value.Encode(text));

    /// <summary>Hugging Face's <c>decode(ids, skip_special_tokens=False)</c> (no clean-up of spaces).</summary>
    public string Decode(IReadOnlyList<int> ids)
    {
        if (ids.Count == 0) return "";
        var native = new uint[ids.Count];
        for (int i = 0; i < native.Length; i++) native[i] = checked((uint)ids[i]);
        return _decoding.Value.Decode(native);
    }

    private static int[] ToInts(uint[] ids) => Array.ConvertAll(ids, id => checked((int)id));

    private static Tokenizer Load(TokenizerDefinition definition, bool keepPostProcessor, bool unflagSpecial)
    {
        string path = Path.Combine(Path.GetTempPath(), $"distill-tokenizer-{Guid.NewGuid():N}.json");
        try
        {
            using (var file = File.Create(path))
            using (var writer = new Utf8JsonWriter(file))
            {
                Write(writer, definition.Root, keepPostProcessor, unflagSpecial);
            }
            return new Tokenizer(path);
        }
        catch (TokenizerException e)
        {
            throw new InvalidDataException($"'{definition.Source}' is not a tokenizer Hugging Face's library reads: {OneLine(e.Message)}", e);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void Write(Utf8JsonWriter writer, JsonObject root, bool keepPostProcessor, bool unflagSpecial)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in root)
        {
            writer.WritePropertyName(name);
            if (name == "post_processor" && !keepPostProcessor)
            {
                writer.WriteNullValue();
            }
            else if (name == "added_tokens" && unflagSpecial && value is JsonArray added)
            {
                writer.WriteStartArray();
                foreach (var token in added)
                {
                    var copy = token!.DeepClone().AsObject();
                    copy["special"] = false;
                    copy.WriteTo(writer);
                }
                writer.WriteEndArray();
            }
            else if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                value.WriteTo(writer);
            }
        }
        writer.WriteEndObject();
    }

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
}
