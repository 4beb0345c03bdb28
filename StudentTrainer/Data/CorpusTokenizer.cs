using Distill.Shared.Data;
using Distill.Shared.Tokenization;

namespace Distill.StudentTrainer.Data;

/// <summary>
/// Tokenizes a corpus as it streams into one <see cref="TokenFile"/> per split, every document followed by the
/// separator id. Documents (and the pieces of a long one) are encoded in parallel a bounded batch at a time and written
/// in corpus order, so the files are those <see cref="TokenStream.Join"/> would give of the documents and memory holds
/// one batch, not the corpus.
/// </summary>
public static class CorpusTokenizer
{
    private const int BatchCharacters = 1 << 22;
    private const int BatchDocuments = 256;

    /// <summary>The file name of a split's token file.</summary>
    public static string FileName(CorpusSplit split) => split.ToString().ToLowerInvariant() + ".tokens";

    /// <summary>Writes train.tokens, validation.tokens and test.tokens into <paramref name="folder"/>.</summary>
    /// <returns>The number of ids written per split.</returns>
    public static IReadOnlyDictionary<CorpusSplit, long> Write(CorpusReader corpus, LoadedTokenizer tokenizer, int separator, string folder)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(tokenizer);
        int width = TokenFile.WidthFor(tokenizer.VocabSize);
        var writers = Enum.GetValues<CorpusSplit>().ToDictionary(s => s, s => new TokenFileWriter(Path.Combine(folder, FileName(s)), width));
        try
        {
            var batch = new List<SplitText>();
            long characters = 0;
            foreach (SplitText text in corpus.Read())
            {
                batch.Add(text);
                characters += text.Text.Length;
                if (characters < BatchCharacters && batch.Count < BatchDocuments) continue;
                WriteBatch(batch, tokenizer, separator, writers);
                batch.Clear();
                characters = 0;
            }
            WriteBatch(batch, tokenizer, separator, writers);
            return writers.ToDictionary(w => w.Key, w => w.Value.Count);
        }
        finally
        {
            foreach (TokenFileWriter writer in writers.Values) writer.Dispose();
        }
    }

    private static void WriteBatch(List<SplitText> batch, LoadedTokenizer tokenizer, int separator, Dictionary<CorpusSplit, TokenFileWriter> writers)
    {
        IReadOnlyList<int>[] encoded = batch.AsParallel().AsOrdered().Select(t => tokenizer.Encode(t.Text)).ToArray();
        for (int i = 0; i < batch.Count; i++)
        {
            TokenFileWriter writer = writers[batch[i].Split];
            writer.Write(encoded[i]);
            if (batch[i].EndsDocument) writer.Write(separator);
        }
    }
}
