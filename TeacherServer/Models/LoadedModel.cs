using Distill.Shared.Tokenization;
using Distill.Shared.Wire;
using Distill.TeacherServer.Batching;
using Distill.TeacherServer.Onnx;

namespace Distill.TeacherServer.Models;

/// <summary>
/// One published version of a model: its session and batcher. Reference-counted: the registry holds one
/// reference while the version is published and every request holds one through a <see cref="ModelLease"/>;
/// the last release stops the batcher (after its queue drains) and disposes the session.
/// </summary>
public sealed class LoadedModel
{
    private readonly TeacherSession session;
    private readonly ILogger logger;
    private readonly TaskCompletionSource disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int references = 1;

    /// <param name="textTokenizer">The folder's tokenizer, loaded, for text prompts and decoded tokens; null when there is none or it cannot be loaded.</param>
    public LoadedModel(TeacherManifest manifest, string version, int vocabSize, TokenizerDescription tokenizer,
        TeacherSession session, DynamicBatcher batcher, ILogger logger, ServedTokenizer? textTokenizer = null)
    {
        TextTokenizer = textTokenizer;
        Manifest = manifest;
        Version = version;
        VocabSize = vocabSize;
        Tokenizer = tokenizer;
        this.session = session;
        Batcher = batcher;
        this.logger = logger;
    }

    public TeacherManifest Manifest { get; }

    public string Name => Manifest.Name;

    public string Version { get; }

    public int VocabSize { get; }

    public int ContextLength => Manifest.ContextLength;

    public int? EosId => Manifest.EosId ?? Tokenizer.EosId;

    public TokenizerDescription Tokenizer { get; }

    public ServedTokenizer? TextTokenizer { get; }

    /// <summary>When this version was loaded, in Unix seconds (the "created" of OpenAI's model list).</summary>
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public DynamicBatcher Batcher { get; }

    /// <summary>Completes once the session is disposed.</summary>
    public Task Disposed => disposed.Task;

    public ModelInfo Info => new(Name, Version, VocabSize, ContextLength, Tokenizer.Kind, Tokenizer.Fingerprint, EosId);

    /// <summary>Adds a reference unless the version is already on its way out.</summary>
    public bool TryAddReference()
    {
        var current = Volatile.Read(ref references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref references, current + 1, current);
            if (seen == current)
            {
                return true;
            }
            current = seen;
        }
        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref references) == 0)
        {
            _ = DisposeAsync();
        }
    }

    private async Task DisposeAsync()
    {
        try
        {
            await Batcher.StopAsync();
            session.Dispose();
            logger.LogInformation("Model {Model} version {Version} drained and unloaded", Name, Version);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Unloading model {Model} version {Version} failed", Name, Version);
        }
        finally
        {
            disposed.TrySetResult();
        }
    }
}
