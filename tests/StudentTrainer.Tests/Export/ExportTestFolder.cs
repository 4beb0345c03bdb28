using Distill.Shared.Tokenization;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>A temporary folder with a byte-only tokenizer (256 byte symbols + &lt;|endoftext|&gt; = id 256), deleted on dispose.</summary>
public sealed class ExportTestFolder : IDisposable
{
    public const int EndOfTextId = ByteLevelAlphabet.Size;
    public const int TokenizerVocabSize = EndOfTextId + 1;

    public ExportTestFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "distill-export-tests-" + Guid.NewGuid().ToString("N"));
        Tokenizer = Path.Combine(Root, "tokenizer");
        var vocab = ByteLevelAlphabet.Symbols.Select((symbol, id) => (symbol, id)).ToDictionary(e => e.symbol, e => e.id);
        vocab[ByteLevelBpeTrainerOptions.EndOfText] = EndOfTextId;
        TokenizerFiles.Write(Tokenizer, vocab, []);
    }

    public string Root { get; }

    /// <summary>Folder holding vocab.json + merges.txt.</summary>
    public string Tokenizer { get; }

    /// <summary>A new, not yet created path under <see cref="Root"/>.</summary>
    public string NewFolder(string name) => Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { } // best effort: a leaked temp folder must not fail a test
    }
}
