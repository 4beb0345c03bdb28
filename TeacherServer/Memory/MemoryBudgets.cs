using Distill.TeacherServer.Hosting;
using Microsoft.Extensions.Options;

namespace Distill.TeacherServer.Memory;

/// <summary>
/// The two budgets that bound the managed memory requests hold. <see cref="Work"/>: the answers being computed or
/// sent (positions × (8k + 4) bytes for top-k); a request waits for its share, and one that alone needs more gets 413.
/// <see cref="Bodies"/>: request bodies as they arrive and then their decoded token ids; a request that finds it
/// exhausted gets 429. Defaults are fractions of the memory the GC may use (<see cref="AvailableMemoryBytes"/>).
/// </summary>
public sealed class MemoryBudgets
{
    /// <summary>Default work budget: this fraction of <see cref="AvailableMemoryBytes"/>.</summary>
    public const int WorkShare = 8;

    /// <summary>Default body budget: this fraction of <see cref="AvailableMemoryBytes"/>.</summary>
    public const int BodyShare = 16;

    public MemoryBudgets(IOptions<TeacherServerOptions> options)
    {
        var settings = options.Value;
        Work = new ByteBudget("work", settings.WorkBudgetBytes > 0 ? settings.WorkBudgetBytes : AvailableMemoryBytes / WorkShare);
        Bodies = new ByteBudget("body", settings.BodyBudgetBytes > 0 ? settings.BodyBudgetBytes : AvailableMemoryBytes / BodyShare);
        MaxBodyBytes = Math.Min(Math.Min(settings.MaxRequestBytes, Bodies.Capacity), Array.MaxLength);
    }

    /// <summary>
    /// The memory the GC may use: its hard heap limit when one is set (DOTNET_GCHeapHardLimit, or 75% of a container's
    /// memory limit), else the physical memory.
    /// </summary>
    public static long AvailableMemoryBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    public ByteBudget Work { get; }

    public ByteBudget Bodies { get; }

    /// <summary>The largest body read: MaxRequestBytes, or less when the body budget is smaller.</summary>
    public long MaxBodyBytes { get; }
}
