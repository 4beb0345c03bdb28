using System.Text.Json;
using Distill.Shared.Tokenization;

namespace Distill.TeacherServer.Models;

/// <summary>
/// A model folder's tokenizer as the compatible endpoints use it: text prompts become ids, and each id's text
/// (decoded alone, as vLLM's "decoded_token") is decoded once and kept.
/// </summary>
public sealed class ServedTokenizer(LoadedTokenizer tokenizer)
{
    private readonly Lazy<string[]> tokenTexts = new(() =>
        Enumerable.Range(0, tokenizer.VocabSize).Select(id => tokenizer.Decode([id])).ToArray());

    /// <summary>Hugging Face's encode with the post-processor's tokens (BOS…), as vLLM tokenises a text prompt.</summary>
    public int[] Encode(string text) => [.. tokenizer.EncodeWithSpecialTokens(text)];

    /// <summary>The text of generated ids; ids past the tokenizer's vocabulary (a padded model vocabulary) have none.</summary>
    public string Decode(IEnumerable<int> ids) => tokenizer.Decode(ids.Where(id => (uint)id < (uint)tokenizer.VocabSize));

    /// <summary>The text of one id decoded alone; null for an id the tokenizer does not know (a padded vocabulary).</summary>
    public string? TokenText(int id) => (uint)id < (uint)tokenizer.VocabSize ? tokenTexts.Value[id] : null;

    /// <summary>The folder's tokenizer, or null when it has none or its files cannot be loaded (logged).</summary>
    public static ServedTokenizer? TryLoad(string folder, TokenizerDescription description, ILogger logger)
    {
        if (description.Kind == TokenizerKinds.None)
        {
            return null;
        }
        try
        {
            return new ServedTokenizer(TokenizerLoader.Load(folder));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or JsonException or NotSupportedException or ArgumentException)
        {
            logger.LogWarning("The tokenizer in {Folder} cannot be loaded ({Reason}); text prompts and decoded tokens are not served for it", folder, e.Message);
            return null;
        }
    }
}
