/*
 * fake_transport.c - the in-test virtio transport and driver (see
 * fake_transport.h).
 */
#include "fake_transport.h"

#include "harness.h"

#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <ringside/shim.h>
#include <stdlib.h>
#include <string.h>

static LIST_HEAD(fake_devs);
#define FAKE_MAX_DRIVERS 64
static struct fake_driver *fake_drivers[FAKE_MAX_DRIVERS];
static unsigned int fake_seq_counter;
static unsigned int fake_dev_counter;

unsigned int fake_seq(void)
{
	return ++fake_seq_counter;
}

struct fake_dev *fake_dev_of(struct virtio_device *vdev)
{
	return container_of(vdev, struct fake_dev, vdev);
}

u64 fake_features(const struct virtio_device *vdev)
{
	u64 f = 0;
	unsigned int bit;

	for (bit = 0; bit < 64; bit++)
		if (test_bit(bit, vdev->features))
			f |= 1ULL << bit;
	return f;
}

/* --- the transport ------------------------------------------------------ */

static void fake_log_status(struct fake_dev *fd, u8 value)
{
	if (fd->status_log_len < FAKE_STATUS_LOG)
		fd->status_log[fd->status_log_len] = value;
	fd->status_log_len++;
}

static bool fake_config_range(struct fake_dev *fd, unsigned int offset,
			      unsigned int len)
{
	if (offset > FAKE_CONFIG_BYTES || len > FAKE_CONFIG_BYTES - offset) {
		fd->config_oob++;
		return false;
	}
	return true;
}

static void fake_get(struct virtio_device *vdev, unsigned offset, void *buf,
		     unsigned len)
{
	struct fake_dev *fd = fake_dev_of(vdev);

	fd->config_gets++;
	if (!fake_config_range(fd, offset, len)) {
		memset(buf, 0xff, len); /* what a bus returns for nothing */
		return;
	}
	memcpy(buf, fd->config + offset, len);
}

static void fake_set(struct virtio_device *vdev, unsigned offset,
		     const void *buf, unsigned len)
{
	struct fake_dev *fd = fake_dev_of(vdev);

	fd->config_sets++;
	if (fake_config_range(fd, offset, len))
		memcpy(fd->config + offset, buf, len);
}

static u8 fake_get_status(struct virtio_device *vdev)
{
	struct fake_dev *fd = fake_dev_of(vdev);

	fd->get_status_calls++;
	return fd->status;
}

static void fake_set_status(struct virtio_device *vdev, u8 status)
{
	struct fake_dev *fd = fake_dev_of(vdev);

	if (status == 0)
		fd->zero_status_writes++;
	fake_log_status(fd, status);
	if (fd->refuse_features_ok)
		status &= (u8)~VIRTIO_CONFIG_S_FEATURES_OK;
	fd->status = status;
}

static void fake_reset(struct virtio_device *vdev)
{
	struct fake_dev *fd = fake_dev_of(vdev);

	virtio_reset_begin(vdev);
	fd->resets++;
	fake_log_status(fd, 0);
	if (!fd->ignore_reset)
		fd->status = 0;
}

static void fake_notify(struct virtqueue *vq)
{
	struct fake_dev *fd = fake_dev_of(vq->vdev);

	if (vq->index < FAKE_MAX_VQS)
		fd->notifies[vq->index]++;
}

/* Queue memory for a size the device chose: sizes no transport could
 * describe (above 65536) still get a page, for the ring to refuse. */
static size_t fake_vring_bytes(unsigned int num)
{
	if (num > 65536)
		return PAGE_SIZE;
	return vring_size(num, FAKE_VRING_ALIGN);
}

static void fake_drop_vqs(struct fake_dev *fd)
{
	unsigned int i;

	for (i = fd->nvqs; i-- > 0;) {
		vring_del_virtqueue(fd->vqs[i]);
		fd->status_at_ring_free = fd->status;
		fd->resets_at_ring_free = fd->resets;
		free_pages_exact(fd->pages[i], fd->pages_bytes[i]);
		fd->vqs[i] = NULL;
		fd->pages[i] = NULL;
	}
	fd->nvqs = 0;
}

static int fake_find_vqs(struct virtio_device *vdev, unsigned nvqs,
			 struct virtqueue *vqs[], vq_callback_t *callbacks[],
			 const char *names[])
{
	struct fake_dev *fd = fake_dev_of(vdev);
	unsigned int i;
	int err;

	fd->find_vqs_calls++;
	if (fd->nvqs)
		return -EBUSY;
	if (nvqs > FAKE_MAX_VQS)
		return -EINVAL;
	for (i = 0; i < nvqs; i++) {
		unsigned int num = fd->qsize[i];
		size_t bytes = fake_vring_bytes(num);
		struct virtqueue *vq;
		void *pages;

		pages = alloc_pages_exact(bytes, GFP_KERNEL | __GFP_ZERO);
		if (!pages) {
			err = -ENOMEM;
			goto fail;
		}
		vq = vring_new_virtqueue(i, num, FAKE_VRING_ALIGN, vdev, true,
					 pages, fake_notify,
					 callbacks ? callbacks[i] : NULL,
					 names ? names[i] : "fake");
		if (!vq) {
			free_pages_exact(pages, bytes);
			err = -ENOMEM;
			goto fail;
		}
		fd->vqs[i] = vq;
		fd->pages[i] = pages;
		fd->pages_bytes[i] = bytes;
		vring_init(&fd->vring[i], num, pages, FAKE_VRING_ALIGN);
		fd->last_avail[i] = 0;
		fd->used_idx[i] = 0;
		fd->notifies[i] = 0;
		fd->nvqs = i + 1;
		vqs[i] = vq;
	}
	return 0;
fail:
	fake_drop_vqs(fd);
	return err;
}

static void fake_del_vqs(struct virtio_device *vdev)
{
	struct fake_dev *fd = fake_dev_of(vdev);

	fd->del_vqs_calls++;
	fake_drop_vqs(fd);
}

static u64 fake_get_features(struct virtio_device *vdev)
{
	struct fake_dev *fd = fake_dev_of(vdev);

	fd->get_features_calls++;
	return fd->features;
}

static void fake_finalize_features(struct virtio_device *vdev)
{
	struct fake_dev *fd = fake_dev_of(vdev);

	fd->finalize_calls++;
	if (fd->filter_transport)
		vring_transport_features(vdev);
	fd->finalized = fake_features(vdev);
	fd->status_at_finalize = fd->status;
}

static const char *fake_bus_name(struct virtio_device *vdev)
{
	return fake_dev_of(vdev)->bus;
}

static u32 fake_generation(struct virtio_device *vdev)
{
	struct fake_dev *fd = fake_dev_of(vdev);

	fd->gen_reads++;
	if (fd->gen_changes) {
		if (fd->gen_changes != FAKE_GEN_FOREVER)
			fd->gen_changes--;
		fd->generation++;
	}
	return fd->generation;
}

static void fake_release(struct device *dev)
{
	fake_dev_of(dev_to_virtio(dev))->releases++;
}

static const struct virtio_config_ops fake_ops = {
	.get = fake_get,
	.set = fake_set,
	.get_status = fake_get_status,
	.set_status = fake_set_status,
	.reset = fake_reset,
	.find_vqs = fake_find_vqs,
	.del_vqs = fake_del_vqs,
	.get_features = fake_get_features,
	.finalize_features = fake_finalize_features,
	.bus_name = fake_bus_name,
	.generation = fake_generation,
};

struct fake_dev *fake_dev_new(u32 device, u32 vendor)
{
	struct fake_dev *fd = calloc(1, sizeof(*fd));
	unsigned int i;

	CHECK(fd != NULL);
	fd->ops = fake_ops;
	fd->vdev.config = &fd->ops;
	fd->vdev.id.device = device;
	fd->vdev.id.vendor = vendor;
	fd->vdev.dev.release = fake_release;
	for (i = 0; i < FAKE_MAX_VQS; i++)
		fd->qsize[i] = FAKE_VQ_DEFAULT_SIZE;
	snprintf(fd->bus, sizeof(fd->bus), "fake%u", fake_dev_counter++);
	list_add_tail(&fd->track, &fake_devs);
	return fd;
}

bool fake_dev_registered(struct fake_dev *fd)
{
	return device_is_registered(&fd->vdev.dev);
}

void fake_dev_free(struct fake_dev *fd)
{
	CHECK(!fake_dev_registered(fd));
	fake_drop_vqs(fd);
	list_del(&fd->track);
	free(fd);
}

void fake_dev_clear_log(struct fake_dev *fd)
{
	fd->status_log_len = 0;
	fd->resets = 0;
	fd->zero_status_writes = 0;
}

static size_t fake_format_log(char *buf, size_t size, const u8 *log,
			      unsigned int n)
{
	size_t used = 0;
	unsigned int i;

	used += (size_t)snprintf(buf, size, "{");
	for (i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s0x%x",
					 i ? "," : "", log[i]);
	if (used < size)
		used += (size_t)snprintf(buf + used, size - used, "}");
	return used;
}

void fake_check_log_at(const char *file, int line, struct fake_dev *fd,
		       const u8 *expected, unsigned int n)
{
	unsigned int have = fd->status_log_len;
	char detail[512];
	size_t used;

	if (have == n && (n == 0 || memcmp(fd->status_log, expected, n) == 0))
		return;
	if (have > FAKE_STATUS_LOG)
		have = FAKE_STATUS_LOG;
	used = (size_t)snprintf(detail, sizeof(detail), "status log expected ");
	used += fake_format_log(detail + used, sizeof(detail) - used, expected,
				n);
	if (used < sizeof(detail))
		used += (size_t)snprintf(detail + used, sizeof(detail) - used,
					 ", got ");
	if (used < sizeof(detail))
		fake_format_log(detail + used, sizeof(detail) - used,
				fd->status_log, have);
	harness_fail(file, line, "FAKE_CHECK_LOG", detail);
}

bool fake_vq_complete(struct fake_dev *fd, unsigned int i, u32 len)
{
	struct vring *vr = &fd->vring[i];
	u16 head, slot;

	CHECK(i < fd->nvqs);
	if (READ_ONCE(vr->avail->idx) == fd->last_avail[i])
		return false;
	smp_rmb();
	head = READ_ONCE(vr->avail->ring[fd->last_avail[i] % vr->num]);
	fd->last_avail[i]++;
	slot = (u16)(fd->used_idx[i] % vr->num);
	WRITE_ONCE(vr->used->ring[slot].id, head);
	WRITE_ONCE(vr->used->ring[slot].len, len);
	smp_wmb();
	fd->used_idx[i]++;
	WRITE_ONCE(vr->used->idx, fd->used_idx[i]);
	return true;
}

/* --- the driver --------------------------------------------------------- */

struct fake_driver *fake_driver_of(struct virtio_device *vdev)
{
	if (!vdev->dev.driver)
		return NULL;
	return container_of(drv_to_virtio(vdev->dev.driver), struct fake_driver,
			    drv);
}

static int fake_drv_probe(struct virtio_device *vdev)
{
	struct fake_driver *fdrv = fake_driver_of(vdev);
	struct fake_dev *fd = fake_dev_of(vdev);
	unsigned int i;
	int ret;

	fdrv->probes++;
	fdrv->probe_seq = fake_seq();
	fdrv->in_probe = true;
	fdrv->status_at_probe = fd->status;
	fdrv->features_at_probe = fake_features(vdev);
	fdrv->last_dev = vdev;
	for (i = 0; i < fdrv->config_changes_in_probe; i++)
		virtio_config_changed(vdev);
	ret = 0;
	if (fdrv->vqs_in_probe)
		ret = vdev->config->find_vqs(vdev, fdrv->vqs_in_probe,
					     fdrv->probe_vqs, NULL, NULL);
	if (!ret && fdrv->on_probe)
		ret = fdrv->on_probe(fdrv, vdev);
	if (!ret)
		ret = fdrv->probe_ret;
	if (ret && fd->nvqs)
		vdev->config->del_vqs(vdev);
	fdrv->in_probe = false;
	fdrv->probe_return_seq = fake_seq();
	return ret;
}

static void fake_drv_scan(struct virtio_device *vdev)
{
	struct fake_driver *fdrv = fake_driver_of(vdev);
	unsigned int i;

	fdrv->scans++;
	fdrv->scan_seq = fake_seq();
	fdrv->status_at_scan = fake_dev_of(vdev)->status;
	fdrv->in_scan = true;
	for (i = 0; i < fdrv->config_changes_in_scan; i++)
		virtio_config_changed(vdev);
	fdrv->in_scan = false;
}

static void fake_drv_remove(struct virtio_device *vdev)
{
	struct fake_driver *fdrv = fake_driver_of(vdev);
	struct fake_dev *fd = fake_dev_of(vdev);

	unsigned int i;

	fdrv->removes++;
	fdrv->remove_seq = fake_seq();
	fdrv->status_at_remove = fd->status;
	fdrv->in_remove = true;
	for (i = 0; i < fdrv->config_changes_in_remove; i++)
		virtio_config_changed(vdev);
	if (!fdrv->no_reset_in_remove)
		vdev->config->reset(vdev);
	if (fd->nvqs)
		vdev->config->del_vqs(vdev);
	fdrv->in_remove = false;
}

static void fake_drv_config_changed(struct virtio_device *vdev)
{
	struct fake_driver *fdrv = fake_driver_of(vdev);

	fdrv->config_changes++;
	fdrv->config_change_seq = fake_seq();
	fdrv->status_at_config_change = fake_dev_of(vdev)->status;
	if (fdrv->in_probe)
		fdrv->config_changes_during_probe++;
	if (fdrv->in_scan)
		fdrv->config_changes_during_scan++;
	if (fdrv->in_remove)
		fdrv->config_changes_during_remove++;
}

void fake_driver_init(struct fake_driver *fdrv, const char *name,
		      const struct virtio_device_id *ids)
{
	memset(fdrv, 0, sizeof(*fdrv));
	fdrv->drv.driver.name = name;
	fdrv->drv.id_table = ids;
	fdrv->drv.probe = fake_drv_probe;
	fdrv->drv.scan = fake_drv_scan;
	fdrv->drv.remove = fake_drv_remove;
	fdrv->drv.config_changed = fake_drv_config_changed;
}

void fake_driver_set_features(struct fake_driver *fdrv,
			      const unsigned int *table, unsigned int n)
{
	fdrv->drv.feature_table = table;
	fdrv->drv.feature_table_size = n;
}

static void fake_driver_track(struct fake_driver *fdrv)
{
	unsigned int i, free_slot = FAKE_MAX_DRIVERS;

	for (i = 0; i < FAKE_MAX_DRIVERS; i++) {
		if (fake_drivers[i] == fdrv)
			return;
		if (!fake_drivers[i] && free_slot == FAKE_MAX_DRIVERS)
			free_slot = i;
	}
	CHECK(free_slot < FAKE_MAX_DRIVERS);
	fake_drivers[free_slot] = fdrv;
}

int fake_driver_register(struct fake_driver *fdrv)
{
	int ret = register_virtio_driver(&fdrv->drv);

	if (ret == 0) {
		fdrv->registered = true;
		fake_driver_track(fdrv);
	}
	return ret;
}

void fake_driver_unregister(struct fake_driver *fdrv)
{
	unsigned int i;

	unregister_virtio_driver(&fdrv->drv);
	fdrv->registered = false;
	for (i = 0; i < FAKE_MAX_DRIVERS; i++)
		if (fake_drivers[i] == fdrv)
			fake_drivers[i] = NULL;
}

/* --- printk capture ----------------------------------------------------- */

#define FAKE_LOG_KEEP 32
#define FAKE_LOG_TEXT 160
static char fake_log_text[FAKE_LOG_KEEP][FAKE_LOG_TEXT];
static unsigned int fake_log_levels[8];
static unsigned int fake_log_n;

static void fake_log_hook(void *ctx, int level, const char *text)
{
	(void)ctx;
	if (level < 0)
		level = 0;
	if (level > 7)
		level = 7;
	fake_log_levels[level]++;
	snprintf(fake_log_text[fake_log_n % FAKE_LOG_KEEP], FAKE_LOG_TEXT, "%s",
		 text);
	fake_log_n++;
	if (level <= 4) /* as the shim's default hook */
		fprintf(stderr, "    log<%d> %s\n", level, text);
}

unsigned int fake_log_count(int level)
{
	unsigned int n = 0;
	int l;

	for (l = 0; l <= level && l < 8; l++)
		n += fake_log_levels[l];
	return n;
}

bool fake_log_contains(const char *text)
{
	unsigned int i,
		kept = fake_log_n < FAKE_LOG_KEEP ? fake_log_n : FAKE_LOG_KEEP;

	for (i = 0; i < kept; i++)
		if (strstr(fake_log_text[i], text))
			return true;
	return false;
}

/* --- per test ----------------------------------------------------------- */

void fake_begin(void)
{
	struct fake_dev *fd, *tmp;
	unsigned int devs = 0, drvs = 0, i;

	shim_set_log_hook(fake_log_hook, NULL);
	memset(fake_log_levels, 0, sizeof(fake_log_levels));
	fake_log_n = 0;
	fake_seq_counter = 0;

	/* Leftovers of a failed test: their queues lived in the old arena,
	 * so they are forgotten, never deleted. */
	list_for_each_entry_safe (fd, tmp, &fake_devs, track) {
		fd->nvqs = 0;
		INIT_LIST_HEAD(&fd->vdev.vqs);
		if (fake_dev_registered(fd))
			unregister_virtio_device(&fd->vdev);
		list_del(&fd->track);
		free(fd);
		devs++;
	}
	for (i = 0; i < FAKE_MAX_DRIVERS; i++) {
		if (!fake_drivers[i])
			continue;
		if (fake_drivers[i]->registered)
			unregister_virtio_driver(&fake_drivers[i]->drv);
		fake_drivers[i]->registered = false;
		fake_drivers[i] = NULL;
		drvs++;
	}
	if (devs || drvs)
		fprintf(stderr,
			"    (cleaned up %u device(s), %u driver(s) left by "
			"an earlier test)\n",
			devs, drvs);
}

void fake_end(void)
{
	struct shim_arena_stats stats;
	struct fake_dev *fd;
	unsigned int devs = 0, i;

	list_for_each_entry (fd, &fake_devs, track)
		devs++;
	CHECK_EQ(0, devs); /* every fake_dev_new has its fake_dev_free */
	for (i = 0; i < FAKE_MAX_DRIVERS; i++)
		CHECK(!fake_drivers[i] || !fake_drivers[i]->registered);
	shim_arena_get_stats(&stats);
	CHECK_EQ(0, stats.live_blocks); /* every queue was deleted */
}
