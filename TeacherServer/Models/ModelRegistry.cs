using System.Collections.Concurrent;
using System.Collections.Immutable;
using Distill.TeacherServer.Hosting;
using Microsoft.Extensions.Options;

namespace Distill.TeacherServer.Models;

public enum LeaseOutcome
{
    Acquired,
    NotFound,
    QueueFull,
}

/// <summary>
/// The published version of each model, swapped atomically. A request leases the version current when
/// it arrives and finishes on it; a replaced or removed version is disposed when its last lease ends. The queue
/// bound counts the requests of a model name, across its versions, so a swap does not raise it.
/// </summary>
public sealed class ModelRegistry(ILogger<ModelRegistry> logger, IOptions<TeacherServerOptions> options) : IAsyncDisposable
{
    private readonly Lock gate = new();
    private readonly ConcurrentDictionary<string, QueueSlots> queues = new(StringComparer.Ordinal);
    private ImmutableDictionary<string, LoadedModel> models = ImmutableDictionary<string, LoadedModel>.Empty.WithComparers(StringComparer.Ordinal);

    public IReadOnlyCollection<LoadedModel> Models => Volatile.Read(ref models).Values.OrderBy(m => m.Name, StringComparer.Ordinal).ToArray();

    public bool IsReady => !Volatile.Read(ref models).IsEmpty;

    public LoadedModel? Find(string name) => Volatile.Read(ref models).GetValueOrDefault(name);

    /// <summary>Requests of the model name holding a queue slot (running, waiting for memory, or being read).</summary>
    public int Admitted(string name) => queues.TryGetValue(name, out var slots) ? slots.Admitted : 0;

    /// <param name="admit">Count the lease against the model name's queue bound (top-k and generate requests).</param>
    public LeaseOutcome TryAcquire(string name, bool admit, out ModelLease? lease)
    {
        lease = null;
        while (true)
        {
            if (!Volatile.Read(ref models).TryGetValue(name, out var model))
            {
                return LeaseOutcome.NotFound;
            }
            if (!model.TryAddReference())
            {
                continue; // retired between the lookup and the reference; the next lookup sees its successor
            }
            QueueSlots? slots = null;
            if (admit)
            {
                slots = queues.GetOrAdd(name, _ => new QueueSlots());
                if (!slots.TryEnter(options.Value.MaxQueue))
                {
                    model.Release();
                    return LeaseOutcome.QueueFull;
                }
            }
            lease = new ModelLease(model, slots);
            return LeaseOutcome.Acquired;
        }
    }

    /// <summary>Makes <paramref name="model"/> the served version of its name; the one it replaces drains and is disposed.</summary>
    public void Publish(LoadedModel model)
    {
        LoadedModel? previous;
        lock (gate)
        {
            models.TryGetValue(model.Name, out previous);
            Volatile.Write(ref models, models.SetItem(model.Name, model));
        }
        TeacherMetrics.ModelSwaps.WithLabels(model.Name).Inc();
        TeacherMetrics.ModelsLoaded.Set(Volatile.Read(ref models).Count);
        if (previous is null)
        {
            logger.LogInformation("Serving model {Model} version {Version}", model.Name, model.Version);
        }
        else
        {
            logger.LogInformation("Swapped model {Model} from version {OldVersion} to {Version}", model.Name, previous.Version, model.Version);
            previous.Release();
        }
    }

    public void Unload(string name)
    {
        LoadedModel? previous;
        lock (gate)
        {
            if (!models.TryGetValue(name, out previous))
            {
                return;
            }
            Volatile.Write(ref models, models.Remove(name));
        }
        TeacherMetrics.ModelsLoaded.Set(Volatile.Read(ref models).Count);
        logger.LogInformation("Unloading model {Model} version {Version}: its folder is gone", name, previous.Version);
        previous.Release();
    }

    public async ValueTask DisposeAsync()
    {
        ImmutableDictionary<string, LoadedModel> all;
        lock (gate)
        {
            all = models;
            Volatile.Write(ref models, models.Clear());
        }
        foreach (var model in all.Values)
        {
            model.Release();
        }
        await Task.WhenAll(all.Values.Select(m => m.Disposed));
    }
}
